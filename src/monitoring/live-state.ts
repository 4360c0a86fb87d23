/**
 * What the live /metrics endpoint shows, as plain data the run fills cheaply
 * on the hot path (a counter increment, an array push). Everything derived
 * (quantiles, windowed throughput) is computed when Prometheus scrapes, never
 * while streams are flowing.
 */
import type { MetricName } from "../base/summary-types.ts";
import type { RequestRecord } from "../base/request-types.ts";

/** The current scenario run as the live endpoint sees it. */
export interface LiveSnapshot {
  runId: string;
  scenario: string;
  /** Sweep point label (`c8`), empty otherwise. */
  variant: string;
  model: string;
  backend: string;
  /** performance.now() at the scenario's t0: record times are ms relative to it. */
  t0Ms: number;
  /** False once the scenario finished (its final numbers stay visible until the next one begins). */
  running: boolean;
  /** Requests handed to the HTTP client so far. */
  dispatched: number;
  /** Finished successfully. */
  completed: number;
  failed: number;
  /** Output tokens of the successful requests finished so far. */
  outputTokens: number;
  /** Finished records in finish order; only ever appended to during a scenario. */
  records: readonly RequestRecord[];
  /** Latency metrics to summarise (the scenario's percentile_metrics). */
  metrics: readonly MetricName[];
}

export interface LiveScenarioInfo {
  runId: string;
  scenario: string;
  variant: string;
  model: string;
  backend: string;
  metrics?: readonly MetricName[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The run's side of the live endpoint: `begin()` at each scenario's start
 * (labels), `startClock()` just before its measured load starts,
 * `onDispatch()` / `onRecord()` from the load generator, `end()` after it.
 * `snapshot()` is what startLiveMetricsServer reads.
 */
export class LiveRun {
  private current: (Mutable<LiveSnapshot> & { records: RequestRecord[] }) | null = null;

  begin(info: LiveScenarioInfo, t0Ms = performance.now()): void {
    this.current = {
      ...info,
      metrics: info.metrics ?? ["ttft", "tpot", "itl", "e2el"],
      t0Ms,
      running: true,
      dispatched: 0,
      completed: 0,
      failed: 0,
      outputTokens: 0,
      records: [],
    };
  }

  /**
   * Call right before the measured run's load generator starts: record times
   * are relative to its t0, and the initial test request and warmups that
   * came after begin() are not part of the measured run.
   */
  startClock(t0Ms = performance.now()): void {
    const c = this.current;
    if (!c) return;
    c.t0Ms = t0Ms;
    c.dispatched = c.completed = c.failed = c.outputTokens = 0;
    c.records.length = 0;
  }

  /** Arrow functions: handed to the load generator as callbacks. */
  readonly onDispatch = (): void => {
    if (this.current) this.current.dispatched++;
  };

  readonly onRecord = (record: RequestRecord): void => {
    const c = this.current;
    if (!c) return;
    c.records.push(record);
    if (record.success) {
      c.completed++;
      c.outputTokens += record.outputTokens;
    } else c.failed++;
  };

  end(): void {
    if (this.current) this.current.running = false;
  }

  readonly snapshot = (): LiveSnapshot | null => this.current;
}
