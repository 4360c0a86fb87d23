/**
 * Baseline vs candidate, per scenario and statistic, with a verdict:
 * improved, regressed or within noise (docs/analysis.md "compare", where the
 * false-alarm and detection rates measured by bench/compare-noise.ts are).
 *
 * The rule, for every statistic judged by an interval: **regressed** when the
 * whole interval of candidate − baseline lies beyond the tolerance on the
 * worse side (worse by more than the tolerance, with the scenario's joint
 * confidence 1 − alpha); improved symmetrically; else within noise.
 *
 * Which interval:
 * - Two or more runs on a side (`vbench run --repeat N`): Student t over the
 *   runs' values (repeat.ts differenceInterval), so the variation between
 *   runs (a busier machine during one of them) is measured, not assumed.
 * - One run a side with per-request data: a seeded bootstrap of the
 *   statistic over blocks of time (time-blocks.ts; bursts of slow values stay
 *   together), throughputs by replaying resampled requests through the run's
 *   load pattern (throughput-replay.ts).
 * - One run a side, summary only: no interval. A mean or median is judged by
 *   the tolerance alone; a tail percentile is not judged (too-few-runs).
 * - A percentile with fewer than MIN_TAIL_VALUES values beyond it is
 *   reported, not judged (too-few-values).
 * - The intervals of one scenario are Bonferroni-adjusted: with k of them,
 *   each is a (1 − alpha/k) interval.
 */
import { METRIC_NAMES, type MetricName } from "../base/summary-types.ts";
import { createRng } from "../base/rng.ts";
import { runLabel } from "../results/result-docs.ts";
import { computeStats, pooled } from "../results/stats.ts";
import { buildSample, differenceReplicates, percentileInterval, type Statistic } from "./bootstrap.ts";
import { differenceInterval } from "./repeat.ts";
import { metricLabel } from "./summary.ts";
import { runValue } from "./run-value.ts";
import { throughputReplicates, type ThroughputKey } from "./throughput-replay.ts";
import { resamplingUnits } from "./time-blocks.ts";
import type { LoadedRun } from "./types.ts";

export type Verdict = "improved" | "regressed" | "within-noise" | "n/a";

export interface CompareOptions {
  /** Family-wise error rate per scenario (1 − joint confidence of its intervals). */
  alpha: number;
  /** Relative change the interval must lie beyond to be called improved or regressed (the practical floor). */
  tolerance: number;
  /**
   * The floor for a tail percentile (p99) judged from one run a side. Its
   * interval covers the noise within the two runs, not a machine busier
   * during one of them, which moves a tail far more than a mean (measured in
   * docs/analysis.md); between repeated runs the variation is measured and
   * `tolerance` applies.
   */
  tailTolerance: number;
  resamples: number;
  seed: number;
  /** Values per side kept for the bootstrap (thinned beyond). */
  maxValues?: number;
}

export const DEFAULT_COMPARE: CompareOptions = { alpha: 0.05, tolerance: 0.05, tailTolerance: 0.2, resamples: 4000, seed: 0, maxValues: 10_000 };

/**
 * A percentile p of n values is only judged when at least this many values
 * lie beyond it (n·min(p, 100 − p)/100): below that it is one of the few
 * largest values, and neither a bootstrap nor a run-to-run spread says much
 * about it (p99 of 64 requests is essentially their maximum).
 */
export const MIN_TAIL_VALUES = 10;

/**
 * bootstrap: per-request values, one run a side, time blocks resampled; replay: throughputs from
 * resampled requests replayed through the run's load pattern; runs-t: Student t over the runs' values
 * (two or more runs on a side); tolerance: one summary-only run a side, the change alone decides;
 * too-few-values / too-few-runs: not judged (see `note`); none: missing on a side.
 */
export type CompareMethod = "bootstrap" | "replay" | "runs-t" | "tolerance" | "too-few-values" | "too-few-runs" | "none";

export interface MetricComparison {
  /** `ttft_median`, `output_throughput`, ... */
  key: string;
  label: string;
  lowerIsBetter: boolean;
  baseline: number | null;
  candidate: number | null;
  change: number | null;
  changeRelative: number | null;
  method: CompareMethod;
  /** Interval of candidate − baseline (the statistic's unit) at `intervalLevel`; null without one. */
  interval: [number, number] | null;
  intervalLevel: number | null;
  /** The relative change the interval (or, for method tolerance, the change) must lie beyond: tolerance or tailTolerance. */
  tolerance: number;
  verdict: Verdict;
  /** Why a statistic was not judged, for the reader (too-few-values, too-few-runs); else null. */
  note: string | null;
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

type Draft = Omit<MetricComparison, "change" | "changeRelative" | "interval" | "intervalLevel" | "tolerance" | "verdict">;
/** A comparison before its interval level is known: `interval(a)` gives the (1 − a) interval. */
interface Pending {
  partial: Draft;
  interval: ((alphaEach: number) => [number, number]) | null;
}

/** A tail percentile's key (`itl_p99`): a percentile at least 25 points from the median. */
function isTail(key: string): boolean {
  const p = /_p(\d+(?:\.\d+)?)$/.exec(key);
  return p !== null && Math.min(Number(p[1]), 100 - Number(p[1])) < 25;
}

/** One percentile's "fewer than MIN_TAIL_VALUES beyond it" note, or null when n values are enough. */
function tooFewValues(stat: Statistic, n: number): string | null {
  if (stat.kind !== "percentile") return null;
  const share = Math.min(stat.p, 100 - stat.p) / 100;
  if (n * share >= MIN_TAIL_VALUES) return null;
  const name = stat.p === 50 ? "median" : `p${stat.p}`;
  return `too few values for a ${name} verdict: ${n} values, a ${name} needs ${Math.ceil(MIN_TAIL_VALUES / share)} (${MIN_TAIL_VALUES} beyond it)`;
}

/** Per-request statistics of metric m, one run a side: the bootstrap replicates and point estimates from all values. */
function perRequest(scenario: string, metric: MetricName | "success", base: LoadedRun, cand: LoadedRun, opts: CompareOptions, stats: Statistic[]): { n: number; point: [number[], number[]]; replicates: Float64Array[] } | null {
  const [bu, cu] = [resamplingUnits(base.requests!, metric), resamplingUnits(cand.requests!, metric)];
  const bs = buildSample(bu, opts.maxValues);
  const cs = buildSample(cu, opts.maxValues);
  if (bs.sorted.length === 0 || cs.sorted.length === 0) return null;
  const replicates = differenceReplicates(bs, cs, stats, { resamples: opts.resamples, rng: createRng(opts.seed, `compare:${scenario}:${metric}`) });
  const point = (values: Float64Array) => {
    const st = computeStats(values, [50, 99]);
    return stats.map((s) => (s.kind === "mean" ? st.mean : s.p === 50 ? st.median : st.percentiles.p99!));
  };
  const [bp, cp] = [pooled(bu), pooled(cu)];
  return { n: Math.min(bp.length, cp.length), point: [point(bp), point(cp)], replicates };
}

const fromReplicates = (replicates: Float64Array) => (a: number) => percentileInterval(replicates, a);

/**
 * A statistic from the runs' own values: Student t with two or more runs on
 * a side, else the tolerance alone (a tail percentile: not judged).
 * `stat` is null for run-level numbers (throughputs, success rate).
 */
function fromRuns(key: string, label: string, lowerIsBetter: boolean, base: LoadedRun[], cand: LoadedRun[], stat: Statistic | null, count: number | null): Pending {
  const bv = base.map((r) => runValue(r, key)).filter((v): v is number => v !== null);
  const cv = cand.map((r) => runValue(r, key)).filter((v): v is number => v !== null);
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  const partial: Draft = { key, label, lowerIsBetter, baseline: mean(bv), candidate: mean(cv), method: "none", note: null };
  if (bv.length === 0 || cv.length === 0) return { partial, interval: null };
  const few = stat && count !== null ? tooFewValues(stat, count) : null;
  if (few) return { partial: { ...partial, method: "too-few-values", note: few }, interval: null };
  if (bv.length >= 2 || cv.length >= 2) return { partial: { ...partial, method: "runs-t" }, interval: (a) => differenceInterval(bv, cv, a)!.interval };
  if (stat?.kind === "percentile" && stat.p !== 50) {
    const note = `not judged: a p${stat.p} from one run a side without per-request data; tails vary from run to run by more than the tolerance (docs/analysis.md). Compare results with their detailed arrays, or --repeat runs`;
    return { partial: { ...partial, method: "too-few-runs", note }, interval: null };
  }
  return { partial: { ...partial, method: "tolerance" }, interval: null };
}

/** Fewest values of metric m in any one run (null when a file does not say). */
function fewestValues(runs: LoadedRun[], metric: MetricName): number | null {
  const counts = runs.map((r) => r.metrics[metric]?.count ?? null);
  return counts.includes(null) ? null : Math.min(...(counts as number[]));
}

function judge(comparison: Omit<MetricComparison, "verdict">): Verdict {
  const tolerance = comparison.tolerance;
  if (comparison.baseline === null || comparison.candidate === null || comparison.change === null || !["bootstrap", "replay", "runs-t", "tolerance"].includes(comparison.method)) return "n/a";
  const base = comparison.baseline;
  const rel = (x: number) => (base !== 0 ? x / Math.abs(base) : x === 0 ? 0 : Math.sign(x) * Infinity);
  // The whole interval beyond the tolerance on one side (without an interval: the change itself).
  const [lo, hi] = comparison.interval ? [rel(comparison.interval[0]), rel(comparison.interval[1])] : [rel(comparison.change), rel(comparison.change)];
  // For latencies an increase is worse; for throughputs and success rate a decrease.
  const [up, down] = [lo > tolerance, hi < -tolerance];
  const [worse, better] = comparison.lowerIsBetter ? [up, down] : [down, up];
  return worse ? "regressed" : better ? "improved" : "within-noise";
}

/** Latency statistics, throughputs and success rate of one scenario, before the Bonferroni level is known. */
function pendingStatistics(scenario: string, base: LoadedRun[], cand: LoadedRun[], opts: CompareOptions, oneRunWithRequests: boolean): Pending[] {
  const pending: Pending[] = [];
  for (const m of METRIC_NAMES) {
    if (!base.some((r) => r.metrics[m]) && !cand.some((r) => r.metrics[m])) continue;
    const pr = oneRunWithRequests ? perRequest(scenario, m, base[0]!, cand[0]!, opts, STATS.map((s) => s.stat)) : null;
    const count = fewestValues([...base, ...cand], m);
    STATS.forEach((s, i) => {
      const key = `${m}_${s.name}`;
      const label = `${metricLabel(m)} ${s.name} (ms)`;
      if (!pr) return pending.push(fromRuns(key, label, true, base, cand, s.stat, count));
      const note = tooFewValues(s.stat, pr.n);
      const partial: Draft = { key, label, lowerIsBetter: true, baseline: pr.point[0][i]!, candidate: pr.point[1][i]!, method: note ? "too-few-values" : "bootstrap", note };
      pending.push({ partial, interval: note ? null : fromReplicates(pr.replicates[i]!) });
    });
  }
  const replay = (run: LoadedRun, side: string) => (oneRunWithRequests ? throughputReplicates(run, opts.resamples, createRng(opts.seed, `compare:${scenario}:throughput:${side}`)) : null);
  const [bt, ct] = [replay(base[0]!, "baseline"), replay(cand[0]!, "candidate")];
  for (const r of RUN_LEVEL) {
    const p = fromRuns(r.key, r.label, false, base, cand, null, null);
    if (bt && ct && p.partial.method !== "none") {
      p.partial.method = "replay";
      p.interval = fromReplicates(ct[r.key].map((v, i) => v - bt[r.key][i]!));
    }
    pending.push(p);
  }
  const sr = oneRunWithRequests ? perRequest(scenario, "success", base[0]!, cand[0]!, opts, [{ kind: "mean" }]) : null;
  if (sr) {
    pending.push({ partial: { key: "success_rate", label: "Success rate", lowerIsBetter: false, baseline: sr.point[0][0]!, candidate: sr.point[1][0]!, method: "bootstrap", note: null }, interval: fromReplicates(sr.replicates[0]!) });
  } else pending.push(fromRuns("success_rate", "Success rate", false, base, cand, null, null));
  return pending;
}

/** Every statistic of one scenario. */
export function compareScenario(scenario: string, base: LoadedRun[], cand: LoadedRun[], opts: CompareOptions = DEFAULT_COMPARE): ScenarioComparison {
  const oneRunWithRequests = base.length === 1 && cand.length === 1 && base[0]!.requests !== null && cand[0]!.requests !== null;
  const pending = pendingStatistics(scenario, base, cand, opts, oneRunWithRequests);
  const k = pending.filter((p) => p.interval).length;
  const level = k > 0 ? 1 - opts.alpha / k : null;
  const metrics = pending.map(({ partial, interval }) => {
    const { baseline, candidate } = partial;
    const change = baseline !== null && candidate !== null ? candidate - baseline : null;
    const changeRelative = change !== null && baseline !== null && baseline !== 0 ? change / Math.abs(baseline) : null;
    const tail = partial.method === "bootstrap" && isTail(partial.key);
    const m = { ...partial, change, changeRelative, interval: interval ? interval(opts.alpha / k) : null, intervalLevel: interval ? level : null, tolerance: tail ? Math.max(opts.tolerance, opts.tailTolerance) : opts.tolerance };
    return { ...m, verdict: judge(m) };
  });
  const verdict = metrics.some((m) => m.verdict === "regressed") ? "regressed" : metrics.some((m) => m.verdict === "improved") ? "improved" : "within-noise";
  return { scenario, baselineRuns: base, candidateRuns: cand, metrics, intervals: k, verdict };
}

/** The label runs are paired by: the repetitions of one scenario and sweep point (`--repeat`: variant `rep2`, `c8-rep2`) form one group. */
export function pairingLabel(run: LoadedRun): string {
  const variant = run.variant.replace(/(^|-)rep\d+$/, "");
  return variant === run.variant ? run.scenario : runLabel(run.scenarioName, variant);
}

/**
 * Pair scenarios by label (repetitions grouped, pairingLabel). When each
 * side holds exactly one scenario they are compared whatever their names
 * (two result files of differently named runs). Returns the pairs and the
 * labels found on one side only.
 */
export function matchScenarios(base: LoadedRun[], cand: LoadedRun[]): { pairs: { scenario: string; base: LoadedRun[]; cand: LoadedRun[] }[]; onlyBaseline: string[]; onlyCandidate: string[] } {
  const bySc = (runs: LoadedRun[]) => {
    const m = new Map<string, LoadedRun[]>();
    for (const r of runs) m.set(pairingLabel(r), [...(m.get(pairingLabel(r)) ?? []), r]);
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
