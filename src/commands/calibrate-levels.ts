/**
 * Which stream counts `vbench calibrate` (./calibrate.ts) measures, in what
 * order, and what its ceiling is: the 4x grid up to the first level outside,
 * then bisection between the last level within and it.
 */
import { bisectPoint } from "../run/slo-search.ts";

export const DEFAULT_LEVELS = [16, 64, 256, 1024, 4096, 16384];

export function calibrationLevels(maxStreams: number): number[] {
  const levels = DEFAULT_LEVELS.filter((n) => n <= maxStreams);
  if (levels.at(-1) !== maxStreams) levels.push(maxStreams);
  return levels;
}

/** calibrate's criterion, by default: mean TTFT within this of the reference, ms. */
export const TTFT_TOLERANCE_MS = 1;
/** ... and mean ITL (every gap between token messages, pooled) within this, ms. */
export const ITL_TOLERANCE_MS = 0.2;

/** A level's errors against its reference, as calibrate's criterion reads them. */
export interface LevelErrors {
  failed: number;
  /** Requests the reference did not see. */
  unmatched: number;
  meanTtftErrorMs: number;
  meanItlErrorMs: number;
}

/** What missed calibrate's criterion (empty: the level is within): failures or unseen requests, mean TTFT, mean ITL. */
export function calibrationMisses(e: LevelErrors, ttftToleranceMs = TTFT_TOLERANCE_MS, itlToleranceMs = ITL_TOLERANCE_MS): ("requests" | "mean TTFT" | "mean ITL")[] {
  const misses: ("requests" | "mean TTFT" | "mean ITL")[] = [];
  if (e.failed > 0 || e.unmatched > 0) misses.push("requests");
  if (!(Math.abs(e.meanTtftErrorMs) <= ttftToleranceMs)) misses.push("mean TTFT");
  if (!(Math.abs(e.meanItlErrorMs) <= itlToleranceMs)) misses.push("mean ITL");
  return misses;
}

/** Refinement ends when the bracket is this narrow (a fraction of the ceiling), or after REFINE_LEVELS levels: one costs up to a minute at thousands of streams. */
export const REFINE_TOLERANCE = 0.25;
export const REFINE_LEVELS = 3;

/**
 * The order of levels and the ceiling: every grid level up to the first failure (all of them with
 * `allLevels`), then bisection between the ceiling and that failure. The ceiling is the largest
 * level that passed with every smaller level measured before it passing too, announced to
 * `onCeiling` as it rises (an interrupted calibration keeps it). `measure` gives a level's
 * verdict, or null when the calibration was interrupted.
 */
export async function walkLevels(
  grid: readonly number[],
  measure: (streams: number) => Promise<boolean | null>,
  options: { allLevels?: boolean; refine?: boolean } = {},
  onCeiling: (streams: number) => void = () => {},
): Promise<number | null> {
  let ceiling: number | null = null;
  let firstFailure: number | null = null;
  for (const streams of grid) {
    const passed = await measure(streams);
    if (passed === null) return ceiling;
    if (passed && firstFailure === null) onCeiling((ceiling = streams));
    if (!passed) {
      firstFailure ??= streams;
      if (!options.allLevels) break;
    }
  }
  if (options.refine === false || ceiling === null || firstFailure === null) return ceiling;
  let hi = firstFailure;
  for (let k = 0; k < REFINE_LEVELS; k++) {
    const mid = bisectPoint(ceiling, hi, { integer: false, tolerance: REFINE_TOLERANCE });
    const streams = mid === null ? null : Math.round(mid);
    if (streams === null || streams <= ceiling || streams >= hi) break;
    const passed = await measure(streams);
    if (passed === null) break;
    if (passed) onCeiling((ceiling = streams));
    else hi = streams;
  }
  return ceiling;
}
