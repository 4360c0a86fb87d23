/**
 * Entry of a release clock's thread (src/engine/release-clock.ts), an entry
 * point of the compiled binary (build.ts): sleep with Atomics.wait until
 * EARLY_MS before each release, then post the highest index due by then.
 * Both threads read performance.timeOrigin + performance.now() (epoch ms).
 */
import type { ClockStart } from "./engine/release-clock.ts";
import { openSchedule } from "./engine/schedule.ts";

declare const self: Worker;
self.onmessage = (event: MessageEvent) => {
  const { schedule: spec, t0EpochMs, earlyMs, stop, ports } = event.data as ClockStart;
  const schedule = openSchedule(spec);
  const flag = new Int32Array(stop);
  const now = () => performance.timeOrigin + performance.now();
  let i = 0;
  while (i < schedule.count && Atomics.load(flag, 0) === 0) {
    const waitMs = t0EpochMs + schedule.at(i) - earlyMs - now();
    // Woken early by stop() (the flag changes) or by the timeout.
    if (waitMs > 0) {
      Atomics.wait(flag, 0, 0, waitMs);
      continue;
    }
    // Coalesce: one message for every release already due.
    let last = i;
    const t = now();
    while (last + 1 < schedule.count && t0EpochMs + schedule.at(last + 1) - earlyMs <= t) last++;
    if (ports) for (const port of ports) port.postMessage(last);
    else postMessage(last);
    i = last + 1;
    schedule.forgetBelow(i);
  }
};
