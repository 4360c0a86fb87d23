/**
 * bench/release-wake.ts's receiving thread: counts the release clock's wakes
 * on its port (each carries the index of the last release due), checks each
 * is past the one before, and at the last reports its own CPU per wake
 * (from /proc/thread-self/stat).
 */
import { readlinkSync } from "node:fs";
import { threadCpuUs } from "./scale-probe.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent) => {
  const { port, count } = event.data as { port: MessagePort; count: number };
  let wakes = 0;
  /** Wakes whose index was not past the one before (a release announced twice). */
  let repeats = 0;
  let last = -1;
  const startUs = threadCpuUs("/proc/thread-self/stat");
  port.onmessage = (wake) => {
    wakes++;
    const index = wake.data as number;
    if (index <= last) repeats++;
    last = index;
    if (index < count - 1) return;
    self.postMessage({ wakes, repeats, receiverUs: (threadCpuUs("/proc/thread-self/stat") - startUs) / wakes });
    port.close();
  };
  // Its thread id ("<pid>/task/<tid>"), so the bench can tell the clock's thread from this one.
  self.postMessage({ tid: Number(readlinkSync("/proc/thread-self").split("/").at(-1)) });
};
