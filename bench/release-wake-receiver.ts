/**
 * bench/release-wake.ts's receiving thread: counts the release clock's wakes
 * on its port (each carries the index of the last release due), checks each
 * is past the one before, and at the last reports its own CPU per wake, from /proc/thread-self/stat.
 */
import { readFileSync, readlinkSync } from "node:fs";

declare const self: Worker;

function threadCpuUs(): number {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime (fields 14 and 15) in clock ticks of 10 ms.
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) * 10_000;
}

self.onmessage = (event: MessageEvent) => {
  const { port, count } = event.data as { port: MessagePort; count: number };
  let wakes = 0;
  /** Wakes whose index was not past the one before (a release announced twice). */
  let repeats = 0;
  let last = -1;
  const startUs = threadCpuUs();
  port.onmessage = (wake) => {
    wakes++;
    const index = wake.data as number;
    if (index <= last) repeats++;
    last = index;
    if (index < count - 1) return;
    self.postMessage({ wakes, repeats, receiverUs: (threadCpuUs() - startUs) / wakes });
    port.close();
  };
  // Its thread id ("<pid>/task/<tid>"), so the bench can tell the clock's thread from this one.
  self.postMessage({ tid: Number(readlinkSync("/proc/thread-self").split("/").at(-1)) });
};
