/**
 * What running one scenario (./execute.ts) is given by the run pipeline and
 * gives back.
 */
import type { RequestRecord } from "../base/request-types.ts";
import type { Logger } from "../base/log.ts";
import type { VbenchError } from "../base/errors.ts";
import type { ShardSpec } from "../config/shard.ts";
import type { LiveRun } from "../monitoring/live-state.ts";
import type { SummaryWithThresholdStats } from "../results/metrics.ts";
import type { HttpClient } from "./http.ts";

export interface ExecuteContext {
  client: HttpClient;
  log: Logger;
  runId: string;
  scenarioDir: string;
  signal: AbortSignal;
  /** Lets the caller flush records on a second Ctrl-C. */
  setFlush(flush: () => Promise<void>): void;
  /** Live /metrics state (--metrics-port), fed from the load generator's callbacks. */
  live?: LiveRun;
  /** Worker threads that run the engine for the measured run (--workers, ./workers.ts); 0: this thread. */
  workers: number;
  /** The scenario's backend is built in (else worker threads load it from its file, backendFile). */
  backendBuiltIn: boolean;
  /** A plugin backend's file, which worker threads load it from. */
  backendFile?: string | null;
  /** Sharded run (./shard.ts): send only requests i with i mod count = index. */
  shard?: ShardSpec | null;
  /** Common start (--start-at), epoch ms: the measured run's t0. */
  startAtEpochMs?: number | null;
  /** Create the scenario's directory and log, once the initial test request passed (a failed one leaves nothing behind). */
  openOutput?(): Promise<void>;
}

export interface Executed {
  records: RequestRecord[];
  summary: SummaryWithThresholdStats;
  interrupted: boolean;
  /** requests.jsonl could not be written completely (the caller still writes the other results). */
  recordsError?: VbenchError;
  /** Wall-clock time (epoch ms) of the run clock's t0: record times + this = wall-clock times. */
  t0EpochMs: number;
}
