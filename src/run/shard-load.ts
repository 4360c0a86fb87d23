/**
 * One shard's scenario directory as `vbench merge` reads it: shard.json (who
 * it was), requests.jsonl (every record it finished, streamed during the run)
 * and, when the shard lived to write it, benchmark_results.json (its t0 and
 * its own verdict on the client: client_bound, event-loop lag, CPU).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { parseRecordLine } from "../results/record-line.ts";
import { SHARD_MANIFEST_FILE, SHARD_SCHEMA, type ShardManifest } from "./shard-manifest.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { RunInfo } from "../base/scenario-types.ts";

const RESULTS_FILE = "benchmark_results.json";
const RECORDS_FILE = "requests.jsonl";

/** What the shard's own result says about its client (absent when it died first). */
export interface ShardClientFigures {
  clientBound: boolean;
  clientBoundReason: string | null;
  eventLoopLagMs: { p50: number; p99: number; max: number; samples: number };
  clientCpuS: number;
  /** Null where the shard's machine reported no steal time, or its result predates the figure. */
  stealMs: number | null;
  interrupted: boolean;
  /** The tokenizer's recount of the shard's server-counted outputs (the texts are not in requests.jsonl); null in older results. */
  tokenCounts: { compared: number; mismatched: number; meanAbs: number | null } | null;
}

export interface LoadedShard {
  /** The shard's scenario directory. */
  dir: string;
  manifest: ShardManifest;
  records: RequestRecord[];
  /** Wall-clock time of the shard's t0 (epoch ms); null when nothing tells it (no result, no records, no common start). */
  t0EpochMs: number | null;
  /** How t0EpochMs was learned. */
  t0Source: "result" | "start-at" | "records" | "none";
  /** The client figures of the shard's own result; null when it has none (the shard died before writing it). */
  client: ShardClientFigures | null;
  host: RunInfo["host"] | null;
  /** Lines of requests.jsonl that were not records (a torn last line of a killed shard). */
  badLines: number;
}

function unreadable(path: string, why: string, hint: string): VbenchError {
  return new VbenchError("merge_input", `${path}: ${why}`, { hint, exitCode: ExitCode.config });
}

/** The scenario directories under a shard directory: itself when it holds shard.json, else its children that do. */
export function shardScenarioDirs(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw unreadable(root, "not a directory", "Pass each shard's output directory (its --output-dir).");
  if (existsSync(join(root, SHARD_MANIFEST_FILE))) return [root];
  const dirs = readdirSync(root)
    .map((name) => join(root, name))
    .filter((dir) => existsSync(join(dir, SHARD_MANIFEST_FILE)))
    .sort();
  if (dirs.length === 0) {
    throw unreadable(root, `no ${SHARD_MANIFEST_FILE} in it or in its scenario directories`, "A shard's directory is the --output-dir of a `vbench run --shard I/N`; an unsharded run cannot be merged.");
  }
  return dirs;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw unreadable(path, `cannot read it as JSON (${errorMessage(error)})`, "The file is written by `vbench run --shard`; if the shard was killed while writing it, remove the file and merge from requests.jsonl.");
  }
}

function readManifest(dir: string): ShardManifest {
  const path = join(dir, SHARD_MANIFEST_FILE);
  const manifest = readJson(path) as unknown as ShardManifest;
  if (manifest.schema !== SHARD_SCHEMA) throw unreadable(path, `schema is ${JSON.stringify(manifest.schema)}, expected ${SHARD_SCHEMA}`, "Merge shards written by the same vbench version.");
  return manifest;
}

function readRecords(dir: string): { records: RequestRecord[]; badLines: number; t0FromRecords: number | null } {
  const path = join(dir, RECORDS_FILE);
  if (!existsSync(path)) return { records: [], badLines: 0, t0FromRecords: null };
  const records: RequestRecord[] = [];
  let badLines = 0;
  let t0FromRecords: number | null = null;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const parsed = parseRecordLine(line);
    if (!parsed) {
      badLines++;
      continue;
    }
    records.push(parsed.record);
    if (t0FromRecords === null && !Number.isNaN(parsed.sentEpochMs) && !Number.isNaN(parsed.record.sentAtMs)) t0FromRecords = parsed.sentEpochMs - parsed.record.sentAtMs;
  }
  return { records, badLines, t0FromRecords };
}

function tokenCounts(sources: Record<string, unknown> | undefined): ShardClientFigures["tokenCounts"] {
  const compared = sources?.mismatch_compared;
  if (typeof compared !== "number") return null;
  const meanAbs = sources!.mismatch_mean_abs;
  return { compared, mismatched: Number(sources!.mismatch_count ?? 0), meanAbs: typeof meanAbs === "number" ? meanAbs : null };
}

function clientFigures(vb: Record<string, unknown>): ShardClientFigures | null {
  const client = vb.client as Record<string, unknown> | undefined;
  if (!client) return null;
  return {
    clientBound: client.client_bound === true,
    clientBoundReason: typeof client.client_bound_reason === "string" ? client.client_bound_reason : null,
    eventLoopLagMs: client.event_loop_lag_ms as ShardClientFigures["eventLoopLagMs"],
    clientCpuS: Number(client.client_cpu_s ?? 0),
    stealMs: typeof client.steal_ms === "number" ? client.steal_ms : null,
    interrupted: vb.interrupted === true,
    tokenCounts: tokenCounts(vb.token_sources as Record<string, unknown> | undefined),
  };
}

export function loadShard(dir: string): LoadedShard {
  const manifest = readManifest(dir);
  const { records, badLines, t0FromRecords } = readRecords(dir);
  const resultPath = join(dir, RESULTS_FILE);
  const vb = existsSync(resultPath) ? ((readJson(resultPath).vbench as Record<string, unknown> | undefined) ?? null) : null;
  const base = { dir, manifest, records, client: vb ? clientFigures(vb) : null, host: (vb?.host as RunInfo["host"] | undefined) ?? null, badLines };
  // t0 on the wall clock, most exact first: the shard's own, the common start it waited for, its records.
  if (vb && typeof vb.t0_epoch_ms === "number") return { ...base, t0EpochMs: vb.t0_epoch_ms, t0Source: "result" };
  if (manifest.start_at !== null) return { ...base, t0EpochMs: Date.parse(manifest.start_at), t0Source: "start-at" };
  if (t0FromRecords !== null) return { ...base, t0EpochMs: t0FromRecords, t0Source: "records" };
  return { ...base, t0EpochMs: null, t0Source: "none" };
}
