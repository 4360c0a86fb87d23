/**
 * Run-level results: the statistics of a series and the summary of a run
 * (spec/metrics.md).
 *
 * Units are in the names: `...Ms` milliseconds on the run's monotonic clock
 * (performance.now(), relative to the run's t0), `...S` seconds, `...Rps`
 * requests per second.
 */

import type { FailureCategory } from "./request-types.ts";

/** The four latency metrics vLLM reports. */
export type MetricName = "ttft" | "tpot" | "itl" | "e2el";
export const METRIC_NAMES: readonly MetricName[] = ["ttft", "tpot", "itl", "e2el"];

/** Statistics of one series (spec/metrics.md "Statistics"). Values in the series' unit. */
export interface SeriesStats {
  /** How many values the statistics were computed from. */
  count: number;
  mean: number;
  median: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
  /** Keyed `p25`, `p99`, `p99.9`. */
  percentiles: Record<string, number>;
  /** False when computed from an HDR histogram instead of all values. */
  exact: boolean;
}

export interface FailureSummary {
  byCategory: Partial<Record<FailureCategory, number>>;
  /** The first few failures of each category, for the console block and the result files. */
  samples: { index: number; category: FailureCategory; message: string }[];
}

/** Run-level results in vLLM's terms plus vbench's extras. */
export interface Summary {
  completed: number;
  failed: number;
  /** completed + failed (requests that were scheduled). */
  total: number;
  durationS: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  requestGoodput: number | null;
  outputThroughput: number;
  totalTokenThroughput: number;
  maxOutputTokensPerS: number;
  maxConcurrentRequests: number;
  /** Only the metrics selected by percentile_metrics are present; values in ms. */
  metrics: Partial<Record<MetricName, SeriesStats>>;
  failures: FailureSummary;
  extras: SummaryExtras;
}

export interface SummaryExtras {
  clientQueueMs: SeriesStats;
  /** sentAt − dispatchedAt. */
  sendLagMs: SeriesStats;
  /** dispatchedAt − scheduledAt for requests that did not wait for a slot: lateness of the dispatcher itself. */
  dispatchLagMs: SeriesStats;
  e2elInclQueueMs: SeriesStats;
  configuredRateRps: number | "inf";
  /** Requests dispatched / dispatch window; null with fewer than 2 requests. */
  achievedRateRps: number | null;
  /** mismatchCompared: server-counted successes the tokenizer counted too, the base of mismatchMeanAbs (merging shards weighs by it). */
  tokenSources: { server: number; tokenizer: number; mismatchMeanAbs: number | null; mismatchCount: number; mismatchCompared: number };
  eventLoopLagMs: { p50: number; p99: number; max: number; samples: number };
  /** Socket read callbacks of the measured run (every engine thread) and how many held the loop over 1 ms / 5 ms; absent where not measured (merged shards). */
  readStalls?: ReadStalls;
  clientCpuS: number;
  /**
   * Steal time during the run on the CPUs the client may use (ms, summed over them; base/steal.ts): the
   * hypervisor running something else while they had work. Null where the kernel does not report it;
   * absent in results that predate it.
   */
  stealMs?: number | null;
  /** True when the client's own lag exceeded the documented bound. */
  clientBound: boolean;
  clientBoundReason?: string;
  /**
   * The server's prompt-token count (usage.prompt_tokens) beside the built
   * prompt lengths, over the successful requests that reported one; absent
   * when none did. `total − builtTotal` is what the server added (the chat
   * template).
   */
  serverInputTokens?: { total: number; requests: number; builtTotal: number };
  /**
   * Gaps (ms) between consecutive token-bearing messages that carried
   * generated text: vLLM's ITL without role-only or empty finish messages.
   * Absent in results written before it existed.
   */
  contentItlMs?: SeriesStats;
  /** Token-bearing messages of successful requests that carried no generated text. */
  noTextMessages?: number;
  /**
   * Successful requests whose output was shorter than requested, by the
   * server's finish_reason (`stop`/`eos_token`: the model ended it; `length`:
   * a limit such as a full context; `unknown` when none was sent), and the
   * smallest output/requested ratio of any successful request (null when
   * none finished).
   */
  shortOutputs?: { count: number; byFinishReason: Record<string, number>; minRatio: number | null };
  /**
   * Requests re-sent on a new connection because their kept-alive one closed
   * before any response (successes and failures), and the time each re-send
   * cost (re-send − first send, ms; count 0 when none). Absent in results
   * written before it existed.
   */
  resent?: { requests: number; waitMs: SeriesStats };
  /** Time from the last dispatch to the last finish (time-bound runs report it). */
  drainS: number;
  /** Multi-turn runs: TTFT and E2EL by turn index (0-based), successful requests only. */
  perTurn?: { turn: number; ttftMs: SeriesStats; e2elMs: SeriesStats }[];
  /**
   * Shared-prefix workloads: TTFT of each group's first request (the server
   * has not seen the prefix) against the group's later ones (a prefix cache
   * can hit).
   */
  prefixGroups?: { groups: number; firstTtftMs: SeriesStats; repeatTtftMs: SeriesStats };
}

/** How long the engine's socket read callbacks held their event loop (src/engine/read-stalls.ts). */
export interface ReadStalls {
  reads: number;
  over1Ms: number;
  over5Ms: number;
  /** The longest over 1 ms (0 when none was). */
  maxMs: number;
}
