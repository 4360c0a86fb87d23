/**
 * The bounded search behind `vbench search`: find the highest load (request
 * rate or concurrency) at which a step passes, by exponential growth from
 * `min` until the first failure, then bisection between the last pass and
 * the first failure. Pure apart from `evaluate`; deterministic for a given
 * sequence of verdicts, so it is tested with a fake evaluate.
 *
 * Assumes passing is monotone in load (more load never makes SLOs easier);
 * a noisy verdict can only make the bracket tighter around a wrong point,
 * never loop.
 */

export interface SearchBounds {
  /** First load tried; if it fails the search stops with no passing point. */
  min: number;
  /** Never try more than this. */
  max: number;
  /** Concurrency: whole numbers only, and bisection ends when the bracket is 1 wide. */
  integer: boolean;
  /** Steps (runs) at most, growth and bisection together. */
  maxSteps: number;
  /** Rates: bisection ends when (firstFail − lastPass) ≤ tolerance × lastPass. */
  tolerance: number;
  /** Growth factor per step until the first failure. Default 2. */
  growth?: number;
}

export type StopReason = "converged" | "min-failed" | "max-passed" | "max-steps" | "interrupted";

export interface SearchStep<R> {
  step: number;
  value: number;
  phase: "grow" | "bisect";
  passed: boolean;
  result: R;
}

export interface SearchOutcome<R> {
  /** Highest load that passed, or null when even `min` failed. */
  best: number | null;
  /** Lowest load that failed, or null when none did. */
  firstFailure: number | null;
  stoppedBy: StopReason;
  steps: SearchStep<R>[];
}

/** Round a rate to 3 significant digits so the curve reads well (37.5, not 37.4999). */
export function roundRate(x: number): number {
  if (x <= 0 || !Number.isFinite(x)) return x;
  const digits = 2 - Math.floor(Math.log10(x));
  if (digits <= 0) {
    const step = 10 ** -digits;
    return Math.round(x / step) * step;
  }
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The next point between a pass and a failure, or null when the bracket is narrow enough. */
export function bisectPoint(lo: number, hi: number, bounds: Pick<SearchBounds, "integer" | "tolerance">): number | null {
  if (bounds.integer) {
    if (hi - lo <= 1) return null;
    return Math.floor((lo + hi) / 2);
  }
  if (hi - lo <= bounds.tolerance * lo) return null;
  const mid = roundRate((lo + hi) / 2);
  return mid > lo && mid < hi ? mid : null;
}

function grown(lo: number, bounds: SearchBounds): number {
  const g = bounds.growth ?? 2;
  const next = bounds.integer ? Math.max(lo + 1, Math.round(lo * g)) : roundRate(lo * g);
  return Math.min(next, bounds.max);
}

export function validateBounds(b: SearchBounds): string[] {
  const problems: string[] = [];
  if (!(b.min > 0) || !Number.isFinite(b.min)) problems.push(`--min must be a positive number, got ${b.min}`);
  if (!(b.max >= b.min) || !Number.isFinite(b.max)) problems.push(`--max must be a finite number ≥ --min (${b.min}), got ${b.max}`);
  if (b.integer && (!Number.isInteger(b.min) || !Number.isInteger(b.max))) problems.push(`--min and --max must be whole numbers when searching by concurrency`);
  if (!Number.isInteger(b.maxSteps) || b.maxSteps < 1) problems.push(`--max-steps must be a whole number ≥ 1, got ${b.maxSteps}`);
  if (!(b.tolerance > 0 && b.tolerance < 1)) problems.push(`--tolerance must be in (0, 1), got ${b.tolerance}`);
  if (b.growth !== undefined && !(b.growth > 1)) problems.push(`growth must be > 1, got ${b.growth}`);
  return problems;
}

export async function searchHighestPassing<R>(
  evaluate: (value: number, step: number) => Promise<{ passed: boolean; result: R }>,
  bounds: SearchBounds,
  onStep: (step: SearchStep<R>) => void = () => {},
  signal?: AbortSignal,
): Promise<SearchOutcome<R>> {
  const steps: SearchStep<R>[] = [];
  const run = async (value: number, phase: SearchStep<R>["phase"]): Promise<boolean> => {
    const { passed, result } = await evaluate(value, steps.length);
    const step: SearchStep<R> = { step: steps.length, value, phase, passed, result };
    steps.push(step);
    onStep(step);
    if (signal?.aborted) throw STOP;
    if (passed) lastPass = value;
    else lastFail = value;
    return passed;
  };
  const done = (best: number | null, firstFailure: number | null, stoppedBy: StopReason): SearchOutcome<R> =>
    // An interrupted step's verdict means nothing: report the bracket before it.
    signal?.aborted ? { best: lastPass, firstFailure: lastFail, stoppedBy: "interrupted", steps } : { best, firstFailure, stoppedBy, steps };
  let lastPass: number | null = null;
  let lastFail: number | null = null;

  try {
    if (signal?.aborted) throw STOP;
    if (!(await run(bounds.min, "grow"))) return done(null, bounds.min, "min-failed");
    let lo = bounds.min;
    let hi: number | null = null;
    while (hi === null) {
      if (lo >= bounds.max) return done(lo, null, "max-passed");
      if (steps.length >= bounds.maxSteps) return done(lo, null, "max-steps");
      const next = grown(lo, bounds);
      if (await run(next, "grow")) lo = next;
      else hi = next;
    }
    for (;;) {
      const mid = bisectPoint(lo, hi, bounds);
      if (mid === null) return done(lo, hi, "converged");
      if (steps.length >= bounds.maxSteps) return done(lo, hi, "max-steps");
      if (await run(mid, "bisect")) lo = mid;
      else hi = mid;
    }
  } catch (error) {
    if (error === STOP) return done(null, null, "interrupted");
    throw error;
  }
}

const STOP = Symbol("search interrupted");
