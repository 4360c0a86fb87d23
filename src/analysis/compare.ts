/**
 * Baseline vs candidate, per scenario and statistic, with a verdict:
 * improved, regressed or within noise (docs/analysis.md "compare").
 *
 * - Per-request data on both sides: a seeded bootstrap interval of the
 *   difference (candidate − baseline) of the statistic. Regressed when the
 *   interval excludes 0 on the worse side AND the relative change exceeds
 *   the tolerance (the practical floor); improved symmetrically.
 * - Throughputs (one number per run) with per-request data: the requests
 *   are resampled and replayed through the run's load pattern
 *   (throughput-replay.ts), the same interval-and-tolerance rule.
 * - Summary-only data: with two or more runs on both sides, the same
 *   bootstrap over the runs' values; with a single run on either side, the
 *   relative tolerance alone decides.
 * - The intervals of one scenario are Bonferroni-adjusted: with k statistics
 *   judged by interval, each is a (1 − alpha/k) interval, so the chance that
 *   an unchanged scenario gets any "regressed" stays at most alpha.
 */
import { METRIC_NAMES, type MetricName } from "../core/types.ts";
import { createRng } from "../core/rng.ts";
import { computeStats } from "../core/stats.ts";
import { buildSample, differenceReplicates, percentileInterval, type Statistic } from "./bootstrap.ts";
import { metricLabel, runValue } from "./summary.ts";
import { throughputReplicates, type ThroughputKey } from "./throughput-replay.ts";
import type { LoadedRun, PerRequestData } from "./types.ts";

export type Verdict = "improved" | "regressed" | "within-noise" | "n/a";

export interface CompareOptions {
  /** Family-wise error rate per scenario (1 − joint confidence of its intervals). */
  alpha: number;
  /** Relative change below which nothing is called improved or regressed (both methods). */
  tolerance: number;
  resamples: number;
  seed: number;
  /** Values per side kept for the bootstrap (thinned beyond). */
  maxValues?: number;
}

export const DEFAULT_COMPARE: CompareOptions = { alpha: 0.05, tolerance: 0.05, resamples: 4000, seed: 0, maxValues: 10_000 };

/**
 * A percentile p of n values is only judged when at least this many values
 * lie beyond it (n·min(p, 100 − p)/100): the bootstrap of a tail percentile
 * only reshuffles the few largest values, and its interval is far too narrow
 * below that (p99 of 64 requests is essentially their maximum).
 */
export const MIN_TAIL_VALUES = 10;

export interface MetricComparison {
  /** `ttft_median`, `output_throughput`, ... */
  key: string;
  label: string;
  lowerIsBetter: boolean;
  baseline: number | null;
  candidate: number | null;
  change: number | null;
  changeRelative: number | null;
  /**
   * bootstrap: per-request values; replay: throughputs from requests resampled and replayed
   * through the run's load pattern (throughput-replay.ts); run-bootstrap: the runs' values (≥ 2 runs a side);
   * tolerance: one run on a side and no per-request data; too-few-values: a tail
   * percentile with fewer than MIN_TAIL_VALUES values beyond it (not judged);
   * none: missing on a side.
   */
  method: "bootstrap" | "replay" | "run-bootstrap" | "tolerance" | "too-few-values" | "none";
  /** Interval of candidate − baseline (the statistic's unit) at `intervalLevel`; bootstrap methods only. */
  interval: [number, number] | null;
  intervalLevel: number | null;
  verdict: Verdict;
}

export interface ScenarioComparison {
  scenario: string;
  baselineRuns: LoadedRun[];
  candidateRuns: LoadedRun[];
  metrics: MetricComparison[];
  /** Statistics judged by an interval (the Bonferroni k). */
  intervals: number;
  /** regressed if any statistic regressed, else improved if any improved, else within-noise. */
  verdict: Verdict;
}

const STATS: { name: string; stat: Statistic }[] = [
  { name: "mean", stat: { kind: "mean" } },
  { name: "median", stat: { kind: "percentile", p: 50 } },
  { name: "p99", stat: { kind: "percentile", p: 99 } },
];
const RUN_LEVEL: { key: ThroughputKey; label: string }[] = [
  { key: "output_throughput", label: "Output tok/s" },
  { key: "request_throughput", label: "Requests/s" },
  { key: "total_token_throughput", label: "Total tok/s" },
];

/** A comparison before its interval level is known. */
interface Pending {
  partial: Omit<MetricComparison, "change" | "changeRelative" | "interval" | "intervalLevel" | "verdict">;
  replicates: Float64Array | null;
}

/** Units of one metric of one run: one per successful request (its value, or all its ITL gaps). */
function units(data: PerRequestData, m: MetricName | "success"): Float64Array[] {
  if (m === "success") return data.success.map((ok) => Float64Array.of(ok ? 1 : 0));
  if (m === "itl") return data.itlMs.filter((g, i) => data.success[i] && g.length > 0);
  const series = m === "ttft" ? data.ttftMs : m === "tpot" ? data.tpotMs : data.e2elMs;
  const out: Float64Array[] = [];
  for (const v of series) if (!Number.isNaN(v)) out.push(Float64Array.of(v));
  return out;
}

function pooled(runs: LoadedRun[], m: MetricName | "success"): Float64Array {
  const parts = runs.flatMap((r) => units(r.requests!, m));
  const out = new Float64Array(parts.reduce((n, u) => n + u.length, 0));
  let at = 0;
  for (const u of parts) {
    out.set(u, at);
    at += u.length;
  }
  return out;
}

/** Per-request statistics of metric m: replicates of the difference, point estimates from all values. */
function perRequest(scenario: string, m: MetricName | "success", base: LoadedRun[], cand: LoadedRun[], opts: CompareOptions, stats: { name: string; stat: Statistic }[]): { n: number; point: [number[], number[]]; replicates: Float64Array[] } | null {
  const bs = buildSample(base.map((r) => units(r.requests!, m)), opts.maxValues);
  const cs = buildSample(cand.map((r) => units(r.requests!, m)), opts.maxValues);
  if (bs.sorted.length === 0 || cs.sorted.length === 0) return null;
  const replicates = differenceReplicates(bs, cs, stats.map((s) => s.stat), { resamples: opts.resamples, rng: createRng(opts.seed, `compare:${scenario}:${m}`) });
  const point = (runs: LoadedRun[]) => {
    const st = computeStats(pooled(runs, m), [50, 99]);
    return stats.map((s) => (s.name === "mean" ? st.mean : s.name === "median" ? st.median : st.percentiles.p99!));
  };
  const n = Math.min(pooled(base, m).length, pooled(cand, m).length);
  return { n, point: [point(base), point(cand)], replicates };
}

/** Run-level values of `key`: bootstrap over runs with ≥ 2 runs a side, else the tolerance. */
function runLevel(key: string, label: string, lowerIsBetter: boolean, base: LoadedRun[], cand: LoadedRun[], opts: CompareOptions): Pending {
  const bv = base.map((r) => runValue(r, key)).filter((v): v is number => v !== null);
  const cv = cand.map((r) => runValue(r, key)).filter((v): v is number => v !== null);
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  let replicates: Float64Array | null = null;
  if (bv.length >= 2 && cv.length >= 2) {
    const asRuns = (v: number[]) => buildSample(v.map((x) => [Float64Array.of(x)]));
    replicates = differenceReplicates(asRuns(bv), asRuns(cv), [{ kind: "mean" }], { resamples: opts.resamples, rng: createRng(opts.seed, `compare:${key}`) })[0]!;
  }
  const method = bv.length === 0 || cv.length === 0 ? "none" : replicates ? "run-bootstrap" : "tolerance";
  return { partial: { key, label, lowerIsBetter, baseline: mean(bv), candidate: mean(cv), method }, replicates };
}

function judge(m: Omit<MetricComparison, "verdict">, tolerance: number): Verdict {
  if (m.baseline === null || m.candidate === null || m.change === null || m.method === "none" || m.method === "too-few-values") return "n/a";
  const rel = m.changeRelative ?? (m.change === 0 ? 0 : Infinity);
  const big = Math.abs(rel) > tolerance;
  // For latencies an increase is worse; for throughputs and success rate a decrease.
  const up = m.interval ? m.interval[0] > 0 : m.change > 0;
  const down = m.interval ? m.interval[1] < 0 : m.change < 0;
  const [worse, better] = m.lowerIsBetter ? [up, down] : [down, up];
  if (worse && big) return "regressed";
  if (better && big) return "improved";
  return "within-noise";
}

/** Every statistic of one scenario. */
export function compareScenario(scenario: string, base: LoadedRun[], cand: LoadedRun[], opts: CompareOptions = DEFAULT_COMPARE): ScenarioComparison {
  const pending: Pending[] = [];
  const hasRequests = base.every((r) => r.requests) && cand.every((r) => r.requests);
  for (const m of METRIC_NAMES) {
    if (!base.some((r) => r.metrics[m]) && !cand.some((r) => r.metrics[m])) continue;
    const pr = hasRequests ? perRequest(scenario, m, base, cand, opts, STATS) : null;
    STATS.forEach((s, i) => {
      const key = `${m}_${s.name}`;
      const label = `${metricLabel(m)} ${s.name} (ms)`;
      if (!pr) return pending.push(runLevel(key, label, true, base, cand, opts));
      const thin = s.stat.kind === "percentile" && (pr.n * Math.min(s.stat.p, 100 - s.stat.p)) / 100 < MIN_TAIL_VALUES;
      pending.push({
        partial: { key, label, lowerIsBetter: true, baseline: pr.point[0][i]!, candidate: pr.point[1][i]!, method: thin ? "too-few-values" : "bootstrap" },
        replicates: thin ? null : pr.replicates[i]!,
      });
    });
  }
  const replay = (runs: LoadedRun[], side: string) => (hasRequests ? throughputReplicates(runs, opts.resamples, createRng(opts.seed, `compare:${scenario}:throughput:${side}`)) : null);
  const [bt, ct] = [replay(base, "baseline"), replay(cand, "candidate")];
  for (const r of RUN_LEVEL) {
    const p = runLevel(r.key, r.label, false, base, cand, opts);
    if (bt && ct && p.partial.method !== "none") {
      p.partial.method = "replay";
      p.replicates = ct[r.key].map((v, i) => v - bt[r.key][i]!);
    }
    pending.push(p);
  }
  const sr = hasRequests ? perRequest(scenario, "success", base, cand, opts, [STATS[0]!]) : null;
  if (sr) {
    pending.push({ partial: { key: "success_rate", label: "Success rate", lowerIsBetter: false, baseline: sr.point[0][0]!, candidate: sr.point[1][0]!, method: "bootstrap" }, replicates: sr.replicates[0]! });
  } else pending.push(runLevel("success_rate", "Success rate", false, base, cand, opts));

  const k = pending.filter((p) => p.replicates).length;
  const level = k > 0 ? 1 - opts.alpha / k : null;
  const metrics = pending.map(({ partial, replicates }) => {
    const { baseline, candidate } = partial;
    const change = baseline !== null && candidate !== null ? candidate - baseline : null;
    const changeRelative = change !== null && baseline !== null && baseline !== 0 ? change / Math.abs(baseline) : null;
    const interval = replicates ? percentileInterval(replicates, opts.alpha / k) : null;
    const m = { ...partial, change, changeRelative, interval, intervalLevel: replicates ? level : null };
    return { ...m, verdict: judge(m, opts.tolerance) };
  });
  const verdict = metrics.some((m) => m.verdict === "regressed") ? "regressed" : metrics.some((m) => m.verdict === "improved") ? "improved" : "within-noise";
  return { scenario, baselineRuns: base, candidateRuns: cand, metrics, intervals: k, verdict };
}

/**
 * Pair scenarios by label. When each side holds exactly one scenario they
 * are compared whatever their names (two result files of differently named
 * runs). Returns the pairs and the labels found on one side only.
 */
export function matchScenarios(base: LoadedRun[], cand: LoadedRun[]): { pairs: { scenario: string; base: LoadedRun[]; cand: LoadedRun[] }[]; onlyBaseline: string[]; onlyCandidate: string[] } {
  const bySc = (runs: LoadedRun[]) => {
    const m = new Map<string, LoadedRun[]>();
    for (const r of runs) m.set(r.scenario, [...(m.get(r.scenario) ?? []), r]);
    return m;
  };
  const b = bySc(base);
  const c = bySc(cand);
  if (b.size === 1 && c.size === 1) {
    const [[bn, br]] = [...b];
    const [[cn, cr]] = [...c];
    return { pairs: [{ scenario: bn === cn ? bn : `${bn} vs ${cn}`, base: br, cand: cr }], onlyBaseline: [], onlyCandidate: [] };
  }
  const pairs = [...b].filter(([name]) => c.has(name)).map(([name, runs]) => ({ scenario: name, base: runs, cand: c.get(name)! }));
  return { pairs, onlyBaseline: [...b.keys()].filter((n) => !c.has(n)), onlyCandidate: [...c.keys()].filter((n) => !b.has(n)) };
}
