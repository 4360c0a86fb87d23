/**
 * Precise wake-ups for the dispatcher without a busy loop. Bun's timers fire
 * on whole milliseconds (setTimeout(1.5) fires after ~1.1 ms, setTimeout(0.3)
 * after ~1.1 ms: measured, docs/performance.md), so sub-millisecond release
 * times need either a yield-spin on the main thread (setImmediate until due:
 * ~70% of a core at 1000 req/s) or a thread that can sleep precisely. This is
 * the thread: a worker walks the arrival schedule, sleeps with Atomics.wait
 * (a futex with a fractional-ms timeout) until just before each release, and
 * posts a message (to the main thread, or with startPorts to each dispatch
 * thread's port); the receiver then dispatches by its own clock and spins
 * only the last EARLY_MS. Measured at 1000 req/s Poisson: p99 wake-up lag
 * 0.23 ms at 0.2 s CPU per 5 s, against 0.21 ms at 2.7 s CPU for the spin.
 *
 * The worker (src/release-clock-worker.ts, an entry point of the compiled
 * binary) walks the schedule from its spec, generating it as it goes, so it
 * holds no array of a billion offsets. Where workers are unavailable,
 * createReleaseClock resolves null and the caller keeps its own timers.
 */
import type { ScheduleSpec } from "./schedule.ts";
import { workerEntry } from "../base/worker-entry.ts";

/**
 * The worker wakes its thread this long before a release; that thread spins the rest. A wake takes
 * about 0.1 ms to arrive here, so with 0.25 each release cost ~0.13 ms of spinning: at 1000 req/s
 * (two workers, three interleaved rounds) 4.1–4.2 s of client CPU per 10 s, against 2.8–3.0 s with
 * 0.1, p99 dispatch lag 0.32–0.35 against 0.39–0.42 ms, p50 0.001 against 0.004–0.007 ms.
 */
export const EARLY_MS = 0.1;
/** A share's backup wake goes out this long after a release that is still unclaimed (its own thread is held up). */
export const BACKUP_MS = 0.2;
/**
 * A backup check due at most this long before the clock's next release wake waits for that wake:
 * at high rates one wake per release instead of two (a wake costs the clock ~11 µs), the backup
 * for a held-up thread then going out up to this much later.
 */
export const BACKUP_RIDE_MS = 0.25;

/** When the clock wakes next: its next release's wake, or its next backup check unless that can ride on the wake. */
export function nextClockWake(releaseWakeAt: number, checkAt: number): number {
  if (checkAt < releaseWakeAt && releaseWakeAt - checkAt <= BACKUP_RIDE_MS) return releaseWakeAt;
  return Math.min(releaseWakeAt, checkAt);
}

/** What the worker is told to walk. */
export interface ClockStart {
  schedule: ScheduleSpec;
  /** t0 as performance.timeOrigin + performance.now(), the same in every thread. */
  t0EpochMs: number;
  earlyMs: number;
  /** One Int32: non-zero stops the walk (Atomics.notify wakes the worker). */
  stop: SharedArrayBuffer;
  /** Post each wake to these ports; without them, to the creating thread. */
  ports?: MessagePort[];
  /** Walk only this clock's share of the releases (./dispatch-threads.ts). */
  share?: ClockShare;
}

/**
 * One clock's share of a schedule among several: every `step`-th release from `first`, each wake
 * posting the release's index in the whole schedule. A release of the share that the engine
 * `counters` (./counters.ts) show unclaimed BACKUP_MS after it fell due, and not waiting for a
 * slot, is announced again on `backupPorts` (the other threads).
 */
export interface ClockShare {
  first: number;
  step: number;
  backupPorts: MessagePort[];
  counters: SharedArrayBuffer;
}

export interface ReleaseClock {
  /**
   * Walk the schedule from t0 (this thread's performance.now()); `onWake(last)` runs EARLY_MS before
   * each release, `last` being the highest index due by then (releases due together share a call).
   */
  start(schedule: ScheduleSpec, t0: number, onWake: (last: number) => void): void;
  /**
   * The same walk from t0EpochMs (performance.timeOrigin + performance.now()), each wake posted to every port;
   * with `share`, only that share of the releases, and late ones again to its backup ports.
   */
  startPorts(schedule: ScheduleSpec, t0EpochMs: number, ports: MessagePort[], share?: ClockShare): void;
  /** Stop the worker (idempotent). */
  stop(): void;
}

/** Start the worker (about 15 ms) before the clock starts; null when no worker can be started. */
export async function createReleaseClock(): Promise<ReleaseClock | null> {
  let worker: Worker;
  try {
    worker = new Worker(workerEntry("release-clock-worker.ts"));
  } catch {
    return null;
  }
  const stopBuffer = new SharedArrayBuffer(4);
  const flag = new Int32Array(stopBuffer);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    worker.terminate();
  };
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), 100); // runtimes without the "open" event
    worker.addEventListener("open", () => (clearTimeout(timer), resolve(true)), { once: true });
    worker.addEventListener("error", () => (clearTimeout(timer), resolve(false)), { once: true });
  });
  if (!ready) {
    stop();
    return null;
  }
  return {
    start(schedule, t0, onWake) {
      worker.onmessage = (event: MessageEvent) => {
        if (!stopped) onWake(event.data as number);
      };
      worker.postMessage({ schedule, t0EpochMs: performance.timeOrigin + t0, earlyMs: EARLY_MS, stop: stopBuffer } satisfies ClockStart);
    },
    startPorts(schedule, t0EpochMs, ports, share) {
      worker.postMessage({ schedule, t0EpochMs, earlyMs: EARLY_MS, stop: stopBuffer, ports, share } satisfies ClockStart, [...ports, ...(share?.backupPorts ?? [])]);
    },
    stop,
  };
}
