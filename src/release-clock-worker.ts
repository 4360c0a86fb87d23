/**
 * Entry of a release clock's thread (src/engine/release-clock.ts), an entry
 * point of the compiled binary (build.ts): sleep with Atomics.wait until
 * EARLY_MS before each release, then post the highest index due by then.
 * With a share, also BACKUP_MS after each release (or at the next release's
 * wake, when that comes within BACKUP_RIDE_MS): if it is still unclaimed and
 * not waiting for a slot, post it to the backup ports.
 * Both threads read performance.timeOrigin + performance.now() (epoch ms).
 */
import { BACKUP_MS, nextClockWake, type ClockStart } from "./engine/release-clock.ts";
import { openSchedule, strided } from "./engine/schedule.ts";
import { Counter } from "./engine/counters.ts";

declare const self: Worker;
self.onmessage = (event: MessageEvent) => {
  const { schedule: spec, t0EpochMs, earlyMs, stop, ports, share } = event.data as ClockStart;
  const first = share?.first ?? 0;
  const step = share?.step ?? 1;
  const schedule = strided(openSchedule(spec), { first, step });
  const counters = share ? new Int32Array(share.counters) : null;
  const flag = new Int32Array(stop);
  const now = () => performance.timeOrigin + performance.now();
  const wakeAt = (j: number) => t0EpochMs + schedule.at(j) - earlyMs;
  const checkAt = (j: number) => t0EpochMs + schedule.at(j) + BACKUP_MS;
  let i = 0; // the next release of the share to announce
  let checked = counters ? 0 : Number.POSITIVE_INFINITY; // the next announced release to check for a claim
  while ((i < schedule.count || checked < i) && Atomics.load(flag, 0) === 0) {
    const t = now();
    const next = nextClockWake(i < schedule.count ? wakeAt(i) : Infinity, checked < i ? checkAt(checked) : Infinity);
    // Woken early by stop() (the flag changes) or by the timeout.
    if (next > t) {
      Atomics.wait(flag, 0, 0, next - t);
      continue;
    }
    if (i < schedule.count && wakeAt(i) <= t) {
      // Coalesce: one message for every release already due.
      let last = i;
      while (last + 1 < schedule.count && wakeAt(last + 1) <= t) last++;
      const index = first + last * step;
      if (ports) for (const port of ports) port.postMessage(index);
      else postMessage(index);
      i = last + 1;
    }
    if (counters && checked < i && checkAt(checked) <= t) {
      let last = checked;
      while (last + 1 < i && checkAt(last + 1) <= t) last++;
      const index = first + last * step;
      // Unclaimed, and not for want of a slot (a freed slot claims it): this share's thread is held up.
      if (Atomics.load(counters, Counter.Next) <= index && Atomics.load(counters, Counter.Blocked) <= index) for (const port of share!.backupPorts) port.postMessage(index);
      checked = last + 1;
    }
    schedule.forgetBelow(Math.min(i, checked));
  }
};
