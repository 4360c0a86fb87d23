/**
 * Sweeps as curves: the points of a concurrency or rate sweep
 * (CONCURRENCY_LEVELS, --request-rates) are separate results of one run,
 * one per level; read together they are one series, throughput against
 * latency per level, as guidellm and AIPerf users expect. `analyze`,
 * `report` and summary.csv all find them here.
 *
 * A sweep is the results of one run id and scenario whose configured
 * max_concurrency (or, failing that, request rate) differs; other parts of
 * the sweep point (the other parameter of a two-way sweep, `--repeat`'s
 * `repN`) split it into one series each.
 */
import { cell, clean, formatTable } from "./table.ts";
import { runValue } from "./run-value.ts";
import type { LoadedRun } from "./types.ts";

export type SweepParameter = "max_concurrency" | "request_rate";

/** What sweep detection needs of a result (a LoadedRun, or a live ScenarioResult adapted by the csv exporter). */
export interface SweepMember {
  runId: string | null;
  scenarioName: string;
  variant: string;
  maxConcurrency: number | null;
  /** req/s, Infinity for "inf". */
  requestRateRps: number | null;
}

export interface Sweep<T extends SweepMember = LoadedRun> {
  runId: string;
  scenarioName: string;
  parameter: SweepParameter;
  /** The scenario label with the swept part of the variant left out (`chat`, `chat_r10`, `chat_rep2`). */
  label: string;
  /** Ordered by the swept value, ascending (an unlimited rate last). */
  points: { value: number; member: T }[];
}

const AXIS_TOKEN: Record<SweepParameter, RegExp> = { max_concurrency: /^c\d+$/, request_rate: /^r(\d|inf)/ };

function valueOf(member: SweepMember, parameter: SweepParameter): number | null {
  return parameter === "max_concurrency" ? member.maxConcurrency : member.requestRateRps;
}

/** Every sweep among `members`, in first-seen order; a member belongs to at most one. */
export function findSweeps<T extends SweepMember>(members: readonly T[]): Sweep<T>[] {
  const byScenario = new Map<string, T[]>();
  for (const m of members) {
    if (m.runId === null || m.variant === "") continue;
    const key = `${m.runId}\u0000${m.scenarioName}`;
    byScenario.set(key, [...(byScenario.get(key) ?? []), m]);
  }
  const sweeps: Sweep<T>[] = [];
  for (const group of byScenario.values()) {
    const varies = (p: SweepParameter) => new Set(group.map((m) => valueOf(m, p))).size > 1 && group.every((m) => valueOf(m, p) !== null);
    const parameter: SweepParameter | null = varies("max_concurrency") ? "max_concurrency" : varies("request_rate") ? "request_rate" : null;
    if (parameter === null) continue;
    const series = new Map<string, T[]>();
    for (const m of group) {
      const rest = m.variant.split("-").filter((t) => !AXIS_TOKEN[parameter].test(t)).join("-");
      series.set(rest, [...(series.get(rest) ?? []), m]);
    }
    for (const [rest, list] of series) {
      if (list.length < 2) continue;
      const points = list.map((member) => ({ value: valueOf(member, parameter)!, member })).sort((a, b) => a.value - b.value);
      sweeps.push({ runId: list[0]!.runId!, scenarioName: list[0]!.scenarioName, parameter, label: rest ? `${list[0]!.scenarioName}_${rest}` : list[0]!.scenarioName, points });
    }
  }
  return sweeps;
}

/** The statistics of each point: throughput against the latency percentiles (ms). */
export const SWEEP_COLUMNS: { key: string; label: string; digits: number }[] = [
  { key: "request_throughput", label: "req/s", digits: 2 },
  { key: "output_throughput", label: "out tok/s", digits: 1 },
  { key: "ttft_median", label: "TTFT p50", digits: 2 },
  { key: "ttft_p99", label: "TTFT p99", digits: 2 },
  { key: "tpot_median", label: "TPOT p50", digits: 2 },
  { key: "tpot_p99", label: "TPOT p99", digits: 2 },
  { key: "itl_median", label: "ITL p50", digits: 2 },
  { key: "itl_p99", label: "ITL p99", digits: 2 },
  { key: "success_rate", label: "success", digits: 4 },
];

function valueText(v: number): string {
  return Number.isFinite(v) ? String(v) : "inf";
}

/** "sweep of chat over max_concurrency: 4 points (run ID)" and one row per point. */
export function formatSweep(sweep: Sweep): string {
  const title = `sweep of ${clean(sweep.label)} over ${sweep.parameter}: ${sweep.points.length} points (run ${clean(sweep.runId)}; latencies in ms)\n`;
  const rows = sweep.points.map(({ value, member }) => [valueText(value), ...SWEEP_COLUMNS.map((c) => cell(runValue(member, c.key), c.digits))]);
  return title + formatTable([sweep.parameter, ...SWEEP_COLUMNS.map((c) => c.label)], rows, { indent: "  " });
}

/** A point's statistics under JSON names: `output_throughput`, `ttft_p50_ms`, `ttft_p99_ms`, ... */
export function sweepJson(sweep: Sweep): Record<string, unknown> {
  const name = (key: string) => (key.includes("_median") ? key.replace("_median", "_p50_ms") : /^(ttft|tpot|itl|e2el)_/.test(key) ? `${key}_ms` : key);
  return {
    run_id: sweep.runId,
    scenario: sweep.scenarioName,
    label: sweep.label,
    parameter: sweep.parameter,
    points: sweep.points.map(({ value, member }) => {
      const point: Record<string, unknown> = { value: Number.isFinite(value) ? value : "inf", variant: member.variant, source: member.sourcePath };
      for (const c of SWEEP_COLUMNS) point[name(c.key)] = runValue(member, c.key);
      return point;
    }),
  };
}
