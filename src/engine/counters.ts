/**
 * The engine's counters (./engine.ts): one Int32Array per load, a thread's
 * own or a SharedArrayBuffer every worker thread claims from.
 */

/** Slots of the engine's counters. */
export const enum Counter {
  /** The next unit index nobody has claimed. */
  Next = 0,
  /** Non-zero: claim nothing more (the deadline passed or the run was cancelled). */
  Stop = 1,
  /** Free concurrency slots; UNLIMITED without max_concurrency. */
  Free = 2,
  /** Units below this index were due when no slot was free: their wait before dispatch is slot wait. */
  Blocked = 3,
  /** Requests sent, counted by units that send several (sessions' turns), for the live counters. */
  Sent = 4,
}
const COUNTERS = 5;
export const UNLIMITED = 0x7fffffff;

/** The counters of one load: `shared` for worker threads claiming from one schedule. */
export function engineCounters(maxConcurrency: number | null, shared = false): Int32Array {
  const bytes = COUNTERS * Int32Array.BYTES_PER_ELEMENT;
  const counters = new Int32Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  counters[Counter.Free] = maxConcurrency ?? UNLIMITED;
  return counters;
}
