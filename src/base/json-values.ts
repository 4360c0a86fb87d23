/**
 * Reading numbers out of parsed JSON (result files, requests.jsonl, config
 * echoes), where a field may be missing, null, a string or NaN. One helper
 * per meaning of "not a usable number".
 */

/** `v` when it is a finite number, else null (a missing statistic stays missing). */
export function finiteOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** `v` when it is a finite number, else NaN (a gap in a typed-array series). */
export function finiteOrNaN(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : NaN;
}
