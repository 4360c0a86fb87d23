/**
 * Reading values out of parsed JSON (result files, requests.jsonl, config
 * echoes), where a field may be missing, null, of another type or NaN: one
 * helper per meaning of "not usable", named for what it returns then.
 */

/** `v` when it is a finite number, else null (a missing statistic stays missing). */
export function finiteOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** `v` when it is a finite number, else NaN (a gap in a typed-array series). */
export function finiteOrNaN(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : NaN;
}

/** True when `v` is a plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `v` when it is a plain object (not null, not an array), else undefined. */
export function objectOrUndefined(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

/** `v` when it is a plain object, else `{}` (every field then reads as missing). */
export function objectOrEmpty(v: unknown): Record<string, unknown> {
  return objectOrUndefined(v) ?? {};
}

/** `v` when it is a string, else null. */
export function stringOrNull(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

/** `v` when it is a non-empty string, else null (an empty label counts as missing). */
export function nonEmptyStringOrNull(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** `v` when it is a string, else "" (a non-nullable text column). */
export function stringOrEmpty(v: unknown): string {
  return typeof v === "string" ? v : "";
}
