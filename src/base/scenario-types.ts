/**
 * A resolved scenario and everything a finished run of it produced: the
 * result handed to exporters, the run's identity, the threshold verdicts.
 *
 * Units are in the names: `...Ms` milliseconds on the run's monotonic clock
 * (performance.now(), relative to the run's t0), `...S` seconds, `...Rps`
 * requests per second.
 */

import type { ScenarioDataset } from "./dataset-types.ts";
import type { RequestRecord } from "./request-types.ts";
import type { MetricName, Summary } from "./summary-types.ts";

export type RampUp = { strategy: "linear" | "exponential"; startRps: number; endRps: number };

/** A scenario after precedence was applied: every field resolved. Frozen. */
export interface ResolvedScenario {
  name: string;
  description: string;
  backend: string;
  endpointPath: string;
  baseUrl: string;
  /** Model id for labels (MODEL_NAME or discovered). Empty until discovery fills it. */
  model: string;
  /** The `model` field sent (SERVED_MODEL_NAME, MODEL_NAME or discovered). */
  servedModel: string;
  tokenizer: string;
  /** The dataset type and its options as written (dataset_path, distributions, sessions...); results store it as `datasetType` and `dataset`. */
  dataset: Readonly<ScenarioDataset>;
  maxConcurrency: number | null;
  numPrompts: number;
  requestRate: number; // Infinity for inf
  burstiness: number;
  rampUp: RampUp | null;
  durationS: number | null;
  randomInputLen: number;
  randomOutputLen: number;
  randomRangeRatio: number;
  randomPrefixLen: number;
  percentileMetrics: MetricName[];
  metricPercentiles: number[];
  /** SLOs in ms by metric. */
  goodput: Partial<Record<"ttft" | "tpot" | "e2el", number>>;
  seed: number;
  sampling: Record<string, unknown>;
  extraBody: Record<string, unknown>;
  headers: Record<string, string>;
  timeoutS: number;
  idleTimeoutS: number;
  warmups: number;
  thresholds: Record<string, number>;
  exporters: string[];
  saveGeneratedText: boolean;
  /** False (`model_check: false`, --no-model-check): send the model name even when the server does not list it. */
  modelCheck: boolean;
}

/** One finished scenario run, handed to exporters. */
export interface ScenarioResult {
  scenario: ResolvedScenario;
  records: RequestRecord[];
  summary: Summary;
  run: RunInfo;
  thresholds: ThresholdVerdict[];
}

export interface RunInfo {
  runId: string;
  toolVersion: string;
  /** Wall-clock start, ISO 8601 UTC. */
  startedAtIso: string;
  /** `YYYYMMDD_HHMMSS` local time, used in file names. */
  timestamp: string;
  /** Directory of this scenario's result files. */
  scenarioDir: string;
  outputDir: string;
  parsedDir: string;
  /** Label distinguishing sweep points (e.g. `c8`, `r10`), empty otherwise. */
  variant: string;
  host: { hostname: string; platform: string; arch: string; cpus: number; runtime: string };
  interrupted: boolean;
  /** Wall-clock time (epoch ms) of the run clock's t0: a record time + this = its wall-clock time. */
  t0EpochMs?: number;
  /** This run is one shard of a sharded run (src/config/shard.ts). */
  shard?: ShardRunInfo;
  /** This result was merged from shards by `vbench merge`. */
  merge?: MergeRunInfo;
}

/** Identity of one shard: what `vbench merge` checks before it combines shards. */
export interface ShardRunInfo {
  index: number;
  count: number;
  /** configHash() of the resolved scenario (src/config/shard.ts). */
  configHash: string;
  /** The common start (--start-at), ISO 8601 UTC; null when the shard started on its own. */
  startAtIso: string | null;
}

/** How a merged result came about. */
export interface MergeRunInfo {
  count: number;
  configHash: string;
  startAtIso: string | null;
  /** Shard indexes merged, and those missing (only with --allow-partial). */
  merged: number[];
  missing: number[];
  partial: boolean;
  /** Shards without a result file (they died or were killed): merged from requests.jsonl alone. */
  recordsOnly: number[];
  /** Shards whose own result flagged the client as the bottleneck. */
  clientBound: number[];
}

export interface ThresholdVerdict {
  key: string;
  limit: number;
  /** NaN when it could not be measured (null in the JSON files). */
  measured: number;
  /** `<=` for latencies, `>=` for throughput_min and success_rate. */
  comparison: "<=" | ">=";
  passed: boolean;
  /** The implicit `success_rate >= 1` of a run with failed requests and no success_rate threshold (src/results/thresholds.ts). */
  implicit?: boolean;
}
