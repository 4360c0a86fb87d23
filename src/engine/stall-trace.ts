/**
 * Diagnostic only (VBENCH_STALL_TRACE=dir): every socket read callback of an
 * engine thread with its start, its duration, and how much of it went to
 * sending requests and to finishing records; written to dir/trace-<pid>-<worker>.csv
 * when the thread's load ends. Off by default: one constant check per read.
 */
import { writeFileSync } from "node:fs";

const DIR = process.env.VBENCH_STALL_TRACE ?? "";
export const TRACING = DIR !== "";
const FIELDS = 6;
let rows = new Float64Array(TRACING ? FIELDS * 1 << 20 : 0);
let n = 0;
/** Accumulated inside the current read callback. */
export const cur = { sendMs: 0, sends: 0, endMs: 0, ends: 0 };

export function traceRead(start: number, end: number, bytes: number): void {
  if (n * FIELDS >= rows.length) {
    const grown = new Float64Array(rows.length * 2);
    grown.set(rows);
    rows = grown;
  }
  const o = n++ * FIELDS;
  rows[o] = start;
  rows[o + 1] = end - start;
  rows[o + 2] = cur.sendMs;
  rows[o + 3] = cur.sends;
  rows[o + 4] = cur.endMs;
  rows[o + 5] = bytes + cur.ends * 1e6;
  cur.sendMs = 0;
  cur.sends = 0;
  cur.endMs = 0;
  cur.ends = 0;
}

export function dumpTrace(worker: number, t0: number): void {
  if (!TRACING) return;
  const lines = ["start_ms,dur_ms,send_ms,sends,end_ms,bytes"];
  for (let i = 0; i < n; i++) {
    const o = i * FIELDS;
    lines.push(`${(rows[o]! - t0).toFixed(4)},${rows[o + 1]!.toFixed(4)},${rows[o + 2]!.toFixed(4)},${rows[o + 3]},${rows[o + 4]!.toFixed(4)},${rows[o + 5]}`);
  }
  writeFileSync(`${DIR}/trace-${process.pid}-${worker}.csv`, lines.join("\n") + "\n");
  n = 0;
}
