/**
 * `vbench merge`'s core: check that shards belong together, then compute one
 * result over the union of their records exactly as an unsharded run
 * computes it (the same summarize(), the same thresholds).
 *
 * Time axis. Per-request latencies are differences on one shard's monotonic
 * clock and are taken as they are. To put the shards on one axis, each
 * shard's record times (ms from its own t0) are shifted by its t0's
 * wall-clock time minus the earliest shard's. With --start-at every shard's
 * t0 is the common instant, so the shift is exactly 0 and no value changes;
 * otherwise the shift is what the shards' clocks say, and cross-shard
 * quantities (duration, peak concurrency, peak tokens/s) are as good as the
 * machines' clock synchronisation (NTP: about a millisecond).
 */
import { ExitCode, VbenchError } from "../base/errors.ts";
import { summarize, type SummaryWithThresholdStats } from "../results/metrics.ts";
import { foundFreeSlot } from "../results/sweeps.ts";
import { shardConcurrency } from "../config/shard.ts";
import { scenarioFromManifest } from "./shard-manifest.ts";
import type { LoadedShard, ShardClientFigures } from "./shard-load.ts";
import type { MergeRunInfo, ResolvedScenario } from "../base/scenario-types.ts";
import type { RequestRecord } from "../base/request-types.ts";

function notTogether(message: string, hint = "Merge only the shards of one run: the same --run-id, config and seed, with the same N."): VbenchError {
  return new VbenchError("merge_mismatch", message, { hint, exitCode: ExitCode.config });
}

const shardName = (s: LoadedShard) => `shard ${s.manifest.shard.index}/${s.manifest.shard.count} (${s.dir})`;

/** Every shard of every scenario must share the run id, config hash, seed and shard count; refuses with both shards named. */
export function checkBelongTogether(shards: readonly LoadedShard[]): void {
  const first = shards[0]!;
  const fields: [string, (s: LoadedShard) => unknown][] = [
    ["run id", (s) => s.manifest.run_id],
    ["shard count N", (s) => s.manifest.shard.count],
    ["seed", (s) => s.manifest.seed],
  ];
  for (const s of shards) {
    for (const [what, get] of fields) {
      if (get(s) !== get(first)) throw notTogether(`${shardName(s)} has ${what} ${JSON.stringify(get(s))} but ${shardName(first)} has ${JSON.stringify(get(first))}`);
    }
  }
}

/** The shards of one scenario label: no index twice, the same config; returns the missing indexes. */
export function checkScenarioShards(label: string, shards: readonly LoadedShard[]): number[] {
  const first = shards[0]!;
  const byIndex = new Map<number, LoadedShard>();
  for (const s of shards) {
    if (s.manifest.config_hash !== first.manifest.config_hash) {
      throw notTogether(`${shardName(s)} ran scenario "${label}" with config hash ${s.manifest.config_hash} but ${shardName(first)} with ${first.manifest.config_hash}: the resolved scenarios differ`);
    }
    const twice = byIndex.get(s.manifest.shard.index);
    if (twice) throw notTogether(`shard ${s.manifest.shard.index}/${s.manifest.shard.count} of scenario "${label}" is given twice: ${twice.dir} and ${s.dir}`, "Pass each shard's directory once.");
    byIndex.set(s.manifest.shard.index, s);
  }
  const missing: number[] = [];
  for (let i = 0; i < first.manifest.shard.count; i++) if (!byIndex.has(i)) missing.push(i);
  return missing;
}

/** A record with every time moved by shiftMs (a copy; the shard's own stays as read). */
function shifted(r: RequestRecord, shiftMs: number): RequestRecord {
  if (shiftMs === 0) return r;
  const out = { ...r, scheduledAtMs: r.scheduledAtMs + shiftMs, dispatchedAtMs: r.dispatchedAtMs + shiftMs, sentAtMs: r.sentAtMs + shiftMs, chunkAtMs: r.chunkAtMs.map((t) => t + shiftMs), endAtMs: r.endAtMs + shiftMs, doneAtMs: r.doneAtMs + shiftMs };
  if (r.firstSentAtMs !== undefined) out.firstSentAtMs = r.firstSentAtMs + shiftMs;
  return out;
}

export interface MergedRecords {
  scenario: ResolvedScenario;
  /** In request index order, on the common axis. */
  records: RequestRecord[];
  /** Per record: a concurrency slot of its own shard was free at its release (null: no limit). */
  free: Uint8Array | null;
  /** Wall-clock time (epoch ms) of the common axis' 0: the earliest shard's t0. */
  t0EpochMs: number;
}

/** The union of the shards' records on one time axis, each request once. */
export function unionRecords(label: string, shards: readonly LoadedShard[]): MergedRecords {
  const scenario = scenarioFromManifest(shards[0]!.manifest.scenario);
  const timed = shards.filter((s) => s.records.length > 0);
  for (const s of timed) if (s.t0EpochMs === null) throw notTogether(`${shardName(s)}: its records carry no wall-clock time, so they cannot be placed beside the other shards'`, "Merge shards written by a vbench that records sent_epoch_ms.");
  const t0EpochMs = timed.length > 0 ? Math.min(...timed.map((s) => s.t0EpochMs!)) : (shards[0]!.t0EpochMs ?? 0);
  const rows: { record: RequestRecord; free: number }[] = [];
  for (const s of timed) {
    const limit = shardConcurrency(scenario.maxConcurrency, s.manifest.shard);
    const free = limit === null ? null : foundFreeSlot(s.records, limit);
    const shiftMs = s.t0EpochMs! - t0EpochMs;
    s.records.forEach((r, k) => rows.push({ record: shifted(r, shiftMs), free: free ? free[k]! : 1 }));
  }
  rows.sort((a, b) => a.record.index - b.record.index);
  for (let k = 1; k < rows.length; k++) {
    if (rows[k]!.record.index === rows[k - 1]!.record.index) throw notTogether(`request ${rows[k]!.record.index} of scenario "${label}" was recorded by two shards`, "Each shard must be given a different index I of --shard I/N.");
  }
  return { scenario, records: rows.map((r) => r.record), free: scenario.maxConcurrency === null ? null : Uint8Array.from(rows, (r) => r.free), t0EpochMs };
}

/** The summary of the union, as an unsharded run computes it, with the shards' own client verdicts folded in. */
export function mergedSummary(merged: MergedRecords, shards: readonly LoadedShard[]): SummaryWithThresholdStats {
  let endMs = 0;
  for (const r of merged.records) if (r.doneAtMs > endMs) endMs = r.doneAtMs;
  const clients = shards.map((s) => s.client).filter((c) => c !== null);
  const summary = summarize(merged.records, merged.scenario, {
    benchStartMs: 0,
    benchEndMs: endMs,
    // Event-loop samples stay with each shard; their verdicts are folded in below.
    eventLoopLagMs: new Float64Array(0),
    clientCpuS: clients.reduce((sum, c) => sum + c.clientCpuS, 0),
    // Summed over the shards' machines, as the CPU time is; null when none reported it.
    stealMs: clients.some((c) => c.stealMs !== null) ? clients.reduce((sum, c) => sum + (c.stealMs ?? 0), 0) : null,
    ...(merged.free ? { foundFreeSlot: merged.free } : {}),
  });
  const extras = summary.extras;
  const worst = clients.reduce<(typeof clients)[number] | null>((w, c) => (w === null || c.eventLoopLagMs.p99 > w.eventLoopLagMs.p99 ? c : w), null);
  extras.eventLoopLagMs = worst ? worst.eventLoopLagMs : { p50: 0, p99: 0, max: 0, samples: 0 };
  const reasons = extras.clientBoundReason ? [extras.clientBoundReason] : [];
  for (const s of shards) if (s.client?.clientBound) reasons.push(`shard ${s.manifest.shard.index}: ${s.client.clientBoundReason ?? "client-bound"}`);
  extras.clientBound = reasons.length > 0;
  if (reasons.length > 0) extras.clientBoundReason = reasons.join("; ");
  foldTokenCounts(extras.tokenSources, clients);
  return summary;
}

/**
 * The server/tokenizer comparison from the shards' own results: each shard recounted its texts after
 * its run, and requests.jsonl holds no text, so the union's records cannot. Weighted by the requests
 * each compared; a shard that died before writing its result is not in it.
 */
function foldTokenCounts(sources: SummaryWithThresholdStats["extras"]["tokenSources"], clients: readonly ShardClientFigures[]): void {
  let compared = 0;
  let mismatched = 0;
  let absSum = 0;
  for (const c of clients) {
    if (!c.tokenCounts || c.tokenCounts.compared === 0 || c.tokenCounts.meanAbs === null) continue;
    compared += c.tokenCounts.compared;
    mismatched += c.tokenCounts.mismatched;
    absSum += c.tokenCounts.meanAbs * c.tokenCounts.compared;
  }
  if (compared === 0) return;
  sources.mismatchCompared = compared;
  sources.mismatchCount = mismatched;
  sources.mismatchMeanAbs = absSum / compared;
}

export function mergeInfo(shards: readonly LoadedShard[], missing: number[]): MergeRunInfo {
  const first = shards[0]!.manifest;
  return {
    count: first.shard.count,
    configHash: first.config_hash,
    startAtIso: first.start_at,
    merged: shards.map((s) => s.manifest.shard.index).sort((a, b) => a - b),
    missing,
    partial: missing.length > 0,
    recordsOnly: shards.filter((s) => s.client === null).map((s) => s.manifest.shard.index),
    clientBound: shards.filter((s) => s.client?.clientBound).map((s) => s.manifest.shard.index),
  };
}
