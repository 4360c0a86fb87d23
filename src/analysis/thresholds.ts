/**
 * Threshold gates over saved runs (`vbench analyze --check`): which
 * thresholds apply to each result, judged by the one evaluator
 * (src/results/thresholds.ts). A result keeps the verdicts it was saved with;
 * `--config FILE` judges results saved without thresholds (vLLM's own files,
 * vbench runs without a `thresholds` block) with that file's thresholds,
 * merged as `vbench run` merges them: the file's, then `defaults`', then the
 * scenario's own (spec/config.md). Either way a result with failed requests
 * and no success_rate threshold fails the implicit `success_rate >= 1`, as
 * `vbench run` judged it.
 */
import { ExitCode, VbenchError } from "../base/errors.ts";
import { readConfigFile } from "../config/config.ts";
import { evaluateThresholds, validateThresholdKeys, withImplicitSuccessRate } from "../results/thresholds.ts";
import type { ThresholdVerdict } from "../base/scenario-types.ts";
import type { LoadedRun } from "./types.ts";

/** The threshold parts of a scenario file. */
export interface ThresholdConfig {
  path: string;
  fileThresholds: Record<string, number>;
  /** By scenario name: the file's, defaults' and scenario's thresholds merged. */
  byScenario: Map<string, Record<string, number>>;
}

export interface RunVerdicts {
  run: LoadedRun;
  verdicts: ThresholdVerdict[];
  /** Where the thresholds came from ("none": at most the implicit success_rate). */
  source: "result" | "config" | "none";
}

/** Read the thresholds of a scenario file; unknown keys are a configuration error (exit 2). */
export function readThresholdConfig(path: string): ThresholdConfig {
  const { config } = readConfigFile({ configPath: path, env: {} });
  const base = { ...(config.thresholds ?? {}), ...(config.defaults?.thresholds ?? {}) };
  const byScenario = new Map<string, Record<string, number>>();
  for (const s of config.scenarios ?? []) if (typeof s.name === "string") byScenario.set(s.name, { ...base, ...(s.thresholds ?? {}) });
  const problems = [...validateThresholdKeys(base).map((p) => `thresholds: ${p}`)];
  for (const [name, t] of byScenario) problems.push(...validateThresholdKeys(t).map((p) => `scenario ${name}: ${p}`));
  if (problems.length > 0) {
    throw new VbenchError("config_invalid", `invalid thresholds in ${path}: ${problems[0]}`, { details: problems.slice(1), exitCode: ExitCode.config });
  }
  return { path, fileThresholds: base, byScenario };
}

/**
 * The thresholds that apply to a run without its own: its scenario's when
 * the file names it; a vLLM file does not know its scenario, so the file's
 * only scenario (as `vbench standardize` does), else the file's top level.
 */
export function thresholdsForRun(run: LoadedRun, config: ThresholdConfig): Record<string, number> {
  const own = config.byScenario.get(run.scenarioName) ?? config.byScenario.get(run.scenario);
  if (own) return own;
  if (run.kind === "vllm" && config.byScenario.size === 1) return [...config.byScenario.values()][0]!;
  return config.fileThresholds;
}

/** Verdicts per run: the stored ones, else the config's, else none; plus the implicit success_rate when it fails. */
export function judgeRuns(runs: LoadedRun[], config: ThresholdConfig | null): RunVerdicts[] {
  return runs.map((run) => {
    // Stored verdicts are kept as measured (a threshold-only percentile is not in the file); files from before the implicit gate get it here.
    if (run.thresholds.some((v) => !v.implicit)) return { run, verdicts: withImplicitSuccessRate(run.thresholds, run), source: "result" as const };
    const thresholds = config ? thresholdsForRun(run, config) : {};
    if (Object.keys(thresholds).length === 0) return { run, verdicts: withImplicitSuccessRate([], run), source: "none" as const };
    return { run, verdicts: evaluateThresholds(thresholds, run), source: "config" as const };
  });
}

/** One failed threshold, with the margin by which it failed. */
export interface ThresholdFailure {
  run: LoadedRun;
  verdict: ThresholdVerdict;
  /** How far past the limit, in the key's unit (positive = worse); null when the statistic is missing. */
  by: number | null;
  /** `by` relative to the limit; null when the limit is 0 or nothing was measured. */
  byRelative: number | null;
}

export function thresholdFailures(judged: RunVerdicts[]): ThresholdFailure[] {
  const out: ThresholdFailure[] = [];
  for (const { run, verdicts } of judged) {
    for (const v of verdicts) {
      if (v.passed) continue;
      const by = Number.isNaN(v.measured) ? null : v.comparison === "<=" ? v.measured - v.limit : v.limit - v.measured;
      out.push({ run, verdict: v, by, byRelative: by === null || v.limit === 0 ? null : by / Math.abs(v.limit) });
    }
  }
  return out;
}

/** Unit of a threshold key's value, for messages. */
function unitOf(key: string): string {
  if (key.endsWith("_ms")) return " ms";
  if (key === "throughput_min") return " tok/s";
  return "";
}

/** A limit or measured value as people write it: integers as they are, else 4 significant digits (1 decimal from 100 up). */
function shortNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4).replace(/\.?0+$/, "");
}

/**
 * "FAIL ttft_p95_ms: measured 62.3 ms > limit 50 ms (worse by 12.3 ms, 24.6%) in tiny_c8 (date) — path":
 * the scenario label names the sweep point.
 */
export function describeFailure(failure: ThresholdFailure): string {
  const { verdict: v } = failure;
  const unit = unitOf(v.key);
  const op = v.comparison === "<=" ? ">" : "<";
  const measured = Number.isNaN(v.measured) ? "not in the result" : `measured ${shortNumber(v.measured)}${unit} ${op} limit ${shortNumber(v.limit)}${unit}`;
  const by = failure.by === null ? "" : ` (worse by ${shortNumber(failure.by)}${unit}${failure.byRelative === null ? "" : `, ${(failure.byRelative * 100).toFixed(1)}%`})`;
  const implicit = v.implicit ? " [implicit: requests failed and no success_rate threshold is set]" : "";
  return `FAIL ${v.key}: ${measured}${by}${implicit} in ${failure.run.scenario} (${failure.run.timestamp ?? "no date"}) — ${failure.run.sourcePath}`;
}
