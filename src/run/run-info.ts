/** Labels of a run: ids, timestamps and the host, recorded once per run (never used for durations). */
import { hostname, cpus, platform, arch } from "node:os";
import { randomBytes } from "node:crypto";
import type { RunInfo } from "../base/scenario-types.ts";
import { RUNTIME } from "../base/version.ts";

const pad = (n: number) => String(n).padStart(2, "0");

/** `YYYYMMDD_HHMMSS` in local time (the seed's file names). */
export function localTimestamp(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** A short id that prefixes every x-request-id of a run, so server logs can be matched to records. */
export function newRunId(): string {
  return `vb-${randomBytes(4).toString("hex")}`;
}

export function hostInfo(): RunInfo["host"] {
  return { hostname: hostname(), platform: platform(), arch: arch(), cpus: cpus().length, runtime: RUNTIME };
}
