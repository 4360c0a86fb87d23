/**
 * How long each socket read callback of this thread held its event loop: the
 * stall vbench's own work (parsing, records, the sends a read triggers, and
 * any collection that falls inside) puts in front of the next read. Counted
 * from the clock the read path takes anyway plus one more reading per read
 * (~40 ns); far finer than the 20 ms event-loop probe (./client-monitor.ts).
 */
import type { ReadStalls } from "../base/summary-types.ts";

export type { ReadStalls } from "../base/summary-types.ts";

const stalls: ReadStalls = { reads: 0, over1Ms: 0, over5Ms: 0, maxMs: 0 };

/** One read callback took `ms`. Hot path. */
export function noteRead(ms: number): void {
  stalls.reads++;
  if (ms > 1) {
    stalls.over1Ms++;
    if (ms > 5) stalls.over5Ms++;
    if (ms > stalls.maxMs) stalls.maxMs = ms;
  }
}

/** This thread's counts since the last take (a measured run's start), and a fresh start. */
export function takeReadStalls(): ReadStalls {
  const taken = { ...stalls };
  stalls.reads = stalls.over1Ms = stalls.over5Ms = stalls.maxMs = 0;
  return taken;
}

/** Several threads' counts as one (the worst callback of any). */
export function mergeReadStalls(all: readonly ReadStalls[]): ReadStalls {
  const out: ReadStalls = { reads: 0, over1Ms: 0, over5Ms: 0, maxMs: 0 };
  for (const s of all) {
    out.reads += s.reads;
    out.over1Ms += s.over1Ms;
    out.over5Ms += s.over5Ms;
    out.maxMs = Math.max(out.maxMs, s.maxMs);
  }
  return out;
}
