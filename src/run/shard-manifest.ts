/**
 * shard.json: written into a shard's scenario directory before its first
 * request, so even a shard that dies mid-run leaves, beside the records it
 * streamed to requests.jsonl, everything `vbench merge` needs: which shard of
 * which run it was, the config fingerprint, and the resolved scenario.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { datasetFromFlat } from "../base/dataset-types.ts";
import { scenarioForOutput, toJsonValue } from "../results/result-docs.ts";
import type { ResolvedScenario, RunInfo, ShardRunInfo } from "../base/scenario-types.ts";

export const SHARD_MANIFEST_FILE = "shard.json";
export const SHARD_SCHEMA = "vbench.shard/1";

/** What shard.json holds (JSON names as written). */
export interface ShardManifest {
  schema: string;
  run_id: string;
  /** Scenario name plus sweep variant: how merge pairs up the shards' scenario directories. */
  label: string;
  variant: string;
  shard: { index: number; count: number };
  config_hash: string;
  seed: number;
  start_at: string | null;
  tool_version: string;
  started_at: string;
  timestamp: string;
  /** The resolved scenario (secrets redacted; infinite numbers as "inf"). */
  scenario: Record<string, unknown>;
}

export function shardManifest(scenario: ResolvedScenario, run: RunInfo, shard: ShardRunInfo, label: string): ShardManifest {
  return {
    schema: SHARD_SCHEMA,
    run_id: run.runId,
    label,
    variant: run.variant,
    shard: { index: shard.index, count: shard.count },
    config_hash: shard.configHash,
    seed: scenario.seed,
    start_at: shard.startAtIso,
    tool_version: run.toolVersion,
    started_at: run.startedAtIso,
    timestamp: run.timestamp,
    scenario: toJsonValue(scenarioForOutput(scenario)),
  };
}

export async function writeShardManifest(dir: string, manifest: ShardManifest): Promise<string> {
  const path = join(dir, SHARD_MANIFEST_FILE);
  await writeFileAtomic(path, JSON.stringify(manifest, null, 2) + "\n");
  return path;
}

/** The resolved scenario back from its JSON form ("inf" → Infinity where the scenario allows it). */
export function scenarioFromManifest(json: Record<string, unknown>): ResolvedScenario {
  const infToInfinity = (value: unknown) => (value === "inf" ? Number.POSITIVE_INFINITY : value);
  const { datasetType: _datasetType, ...rest } = json;
  return { ...(rest as unknown as ResolvedScenario), dataset: datasetFromFlat(json), requestRate: infToInfinity(json.requestRate) as number, burstiness: infToInfinity(json.burstiness) as number };
}
