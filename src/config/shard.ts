/**
 * Sharded runs (docs/sharding.md): N vbench processes, usually the
 * pods of a Kubernetes Indexed Job, each derive the same global workload and
 * schedule from the same config and seed and send only their share. Request i
 * goes to shard i mod N at its global release time, so the union of the
 * shards is the unsharded run's request sequence; `vbench merge` computes one
 * result over the union of their records.
 *
 * This file holds the pure parts: which shard this process is, its slice of
 * the schedule, its share of max_concurrency, and the fingerprint that tells
 * merge whether shards belong together.
 */
import { createHash } from "node:crypto";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { withFlatDataset } from "../base/dataset-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { envOf, runSetting } from "./run-settings.ts";

/** This process is shard `index` (0-based) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** What a run needs to know about sharding and the common start, from flags and the environment. */
export interface ShardOptions {
  shard: ShardSpec | null;
  /** Shared by every shard (request ids, merge checks); null: a fresh random id. */
  runId: string | null;
  /** Wall-clock instant (epoch ms) of the first release; null: start as soon as ready. */
  startAtEpochMs: number | null;
}

const SHARD_TEXT = /^(\d+)\s*\/\s*(\d+)$/;
/** Run ids become part of every x-request-id and of file contents: keep them plain. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function bad(message: string, hint: string): VbenchError {
  return new VbenchError("bad_shard", message, { hint, exitCode: ExitCode.config });
}

/** `I/N` with 0 <= I < N. */
export function parseShard(text: string, source: string): ShardSpec {
  const m = SHARD_TEXT.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count) || !Number.isSafeInteger(count)) {
    throw bad(`${source}: expected I/N with 0 <= I < N (shard I of N, counted from 0), found "${text}"`, "For example --shard 0/3, --shard 1/3 and --shard 2/3 for three shards.");
  }
  return { index, count };
}

/**
 * The shard, by precedence: --shard, VBENCH_SHARD, then Kubernetes' JOB_COMPLETION_INDEX with
 * VBENCH_SHARDS (an Indexed Job sets the index; the shard count comes from the manifest).
 */
export function shardFromSources(flag: unknown, env: Record<string, string | undefined>): ShardSpec | null {
  if (flag !== undefined && flag !== null && flag !== false) return parseShard(String(flag), "--shard");
  const [SHARD, SHARDS] = [envOf("shard"), envOf("shards")];
  if (env[SHARD]) return parseShard(env[SHARD], SHARD);
  const shards = env[SHARDS];
  if (shards === undefined || shards === "") return null;
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined || index === "") {
    throw bad(`${SHARDS}=${shards} is set but JOB_COMPLETION_INDEX is not`, `${SHARDS} goes with a Kubernetes Indexed Job, which sets JOB_COMPLETION_INDEX in every pod; elsewhere use --shard I/N or ${SHARD}=I/N.`);
  }
  return parseShard(`${index}/${shards}`, `JOB_COMPLETION_INDEX/${SHARDS}`);
}

export function parseRunId(text: string, source: string): string {
  if (!RUN_ID.test(text)) {
    throw new VbenchError("bad_run_id", `${source}: "${text.slice(0, 80)}" is not a usable run id`, {
      hint: "Use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit (it prefixes every x-request-id), e.g. --run-id bench-2026-12-02.",
      exitCode: ExitCode.config,
    });
  }
  return text;
}

/** RFC 3339 in UTC: 2026-12-02T16:30:00Z, fractional seconds allowed, `Z` or `+00:00`. */
const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|\+00:00)$/;

/** Epoch ms of an RFC 3339 UTC instant. */
export function parseStartAt(text: string, source: string): number {
  const m = RFC3339_UTC.exec(text.trim());
  const fail = () =>
    new VbenchError("bad_start_at", `${source}: expected an RFC 3339 UTC time such as 2026-12-02T16:30:00Z, found "${text.slice(0, 60)}"`, {
      hint: `Every shard must be given the same instant; e.g. ${envOf("start_at")}=$(date -u -d "+90 seconds" +%Y-%m-%dT%H:%M:%SZ).`,
      exitCode: ExitCode.config,
    });
  if (!m) throw fail();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // Whole milliseconds: the instant is written back as ISO 8601 (ms), and every shard must read the same number.
  const fraction = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not round-trip does not exist.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw fail();
  return ms + fraction;
}

/** --shard/VBENCH_SHARD, --run-id/VBENCH_RUN_ID and --start-at/VBENCH_START_AT, checked together. */
export function shardOptions(options: Record<string, unknown>, env: Record<string, string | undefined>): ShardOptions {
  const shard = shardFromSources(options.shard, env);
  const runIdText = runSetting("run_id", options, env);
  const runId = runIdText === undefined || runIdText === "" ? null : parseRunId(String(runIdText), options.runId !== undefined ? "--run-id" : envOf("run_id"));
  const startText = runSetting("start_at", options, env);
  const startAtEpochMs = startText === undefined || startText === "" ? null : parseStartAt(String(startText), options.startAt !== undefined ? "--start-at" : envOf("start_at"));
  if (shard && runId === null) {
    throw new VbenchError("shard_run_id_missing", `shard ${shard.index}/${shard.count} needs the run id every shard shares`, {
      hint: `Pass the same --run-id (or ${envOf("run_id")}) to every shard: request ids and \`vbench merge\` rely on it.`,
      exitCode: ExitCode.config,
    });
  }
  return { shard, runId, startAtEpochMs };
}

/**
 * Shard `index`'s part of max_concurrency C: floor(C/N), plus one for the first C mod N shards, so
 * the shards' limits add up to C. Fewer slots than shards would leave a shard unable to send
 * anything: that is a configuration error.
 */
export function shardConcurrency(maxConcurrency: number | null, shard: ShardSpec | null): number | null {
  if (maxConcurrency === null || shard === null) return maxConcurrency;
  if (maxConcurrency < shard.count) {
    throw new VbenchError("shard_concurrency", `max_concurrency ${maxConcurrency} cannot be split over ${shard.count} shards: every shard needs at least one slot`, {
      hint: `Use max_concurrency >= ${shard.count}, or fewer shards.`,
      exitCode: ExitCode.config,
    });
  }
  return Math.floor(maxConcurrency / shard.count) + (shard.index < maxConcurrency % shard.count ? 1 : 0);
}

/** Local release j is global request `first + j * step`; the unsharded run is {0, 1}. */
export interface IndexMap {
  first: number;
  step: number;
}

export function indexMap(shard: ShardSpec | null): IndexMap | undefined {
  return shard === null ? undefined : { first: shard.index, step: shard.count };
}

/** JSON of a resolved scenario with stable key order; infinite numbers spelt out (JSON has none). */
function stableJson(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

/**
 * Fingerprint of what makes shards one run: the resolved scenario before model discovery (every
 * key that shapes the workload, schedule, requests and statistics), minus the exporters, which may
 * differ between shards without changing a number. sha256, first 16 hex digits.
 */
export function configHash(scenario: ResolvedScenario): string {
  const { exporters: _exporters, ...rest } = withFlatDataset(scenario);
  return createHash("sha256").update(stableJson(rest)).digest("hex").slice(0, 16);
}
