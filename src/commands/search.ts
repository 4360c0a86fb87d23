/**
 * `vbench search --goodput ttft:200,tpot:50`: the highest request rate (or
 * concurrency) at which the SLOs hold for a chosen fraction of requests, by a
 * bounded search of short runs (src/run/slo-search.ts). Each step is a real
 * measured run of the one selected scenario, records on disk under
 * `<output-dir>/search_<timestamp>/`; the walked curve goes to stderr as a
 * table and to stdout (or --out) as JSON.
 */
import { workerCount } from "../engine/workers.ts";
import { join } from "node:path";
import type { Registry } from "../plugin-host/registry.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { resolveConfig, type ConfigSources, type RunPlan } from "../config/config.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { Logger } from "../base/log.ts";
import { checkWritableDir, writeFileAtomic } from "../base/atomic-write.ts";
import { localTimestamp } from "../run/run-info.ts";
import { searchHighestPassing, validateBounds, type SearchBounds, type SearchOutcome, type SearchStep } from "../run/slo-search.ts";
import { stepFigures, type StepFigures } from "../results/slo-verdict.ts";
import { FORCED_EXIT, RunPipeline, exitCodeFor } from "../run/pipeline.ts";
import { outputDirs } from "../config/cli-flags.ts";
import { registryFor } from "./load-registry.ts";
import { withMock } from "./with-mock.ts";

export interface SearchCommandOptions {
  sources: ConfigSources;
  /** --workers as given (src/engine/workers.ts reads it, or VBENCH_WORKERS). */
  workers?: unknown;
  outputDir: string;
  apiKey?: string;
  by: "rate" | "concurrency";
  /** Share of requests that must meet every SLO for a step to pass, (0, 1]. */
  fraction: number;
  min?: number;
  max?: number;
  /** Time-bound steps of this many seconds (default for --by rate: 10). */
  stepDurationS?: number;
  /** Steps of this many requests (default for --by concurrency: 4 × concurrency, at least 16). */
  stepPrompts?: number;
  maxSteps: number;
  /** Rates: stop bisecting when the bracket is within this fraction of the best rate. */
  tolerance: number;
  /** Write the JSON here instead of stdout. */
  out?: string;
}

export interface SearchStepResult extends StepFigures {
  step: number;
  phase: "grow" | "bisect";
  value: number;
  passed: boolean;
  interrupted: boolean;
  dir: string;
}

export interface SearchResult {
  by: "rate" | "concurrency";
  fraction: number;
  slo: ResolvedScenario["goodput"];
  scenario: string;
  baseUrl: string;
  model: string;
  best: number | null;
  firstFailure: number | null;
  stoppedBy: SearchOutcome<unknown>["stoppedBy"];
  /** Some step was client-bound: the answer may be this client's limit, not the server's. */
  clientBound: boolean;
  dir: string;
  steps: SearchStepResult[];
}

export const SEARCH_DEFAULTS = { rate: { min: 1, max: 10_000 }, concurrency: { min: 1, max: 4096 }, stepDurationS: 10, maxSteps: 12, tolerance: 0.05, fraction: 0.9 };

function checkOptions(options: SearchCommandOptions, bounds: SearchBounds): void {
  const problems = validateBounds(bounds);
  if (options.by !== "rate" && options.by !== "concurrency") problems.push(`--by must be rate or concurrency, got ${String(options.by)}`);
  if (!(options.fraction > 0 && options.fraction <= 1)) problems.push(`--fraction must be in (0, 1], got ${options.fraction}`);
  if (options.stepDurationS !== undefined && !(options.stepDurationS > 0)) problems.push(`--step-duration must be > 0 seconds, got ${options.stepDurationS}`);
  if (options.stepPrompts !== undefined && !(Number.isInteger(options.stepPrompts) && options.stepPrompts >= 1)) problems.push(`--step-prompts must be a whole number ≥ 1, got ${options.stepPrompts}`);
  if (options.stepPrompts !== undefined && options.stepDurationS !== undefined) problems.push("give --step-duration or --step-prompts, not both");
  if (problems.length) throw new VbenchError("search_options", `${problems.length} problem${problems.length > 1 ? "s" : ""} with the search options; nothing was sent`, { details: problems, exitCode: ExitCode.config });
}

/** What a step changes in the base scenario. */
export function stepOverrides(options: SearchCommandOptions, value: number): Partial<ResolvedScenario> {
  const timeBound = options.stepPrompts === undefined && (options.stepDurationS !== undefined || options.by === "rate");
  const length: Partial<ResolvedScenario> = timeBound
    ? { durationS: options.stepDurationS ?? SEARCH_DEFAULTS.stepDurationS }
    : { durationS: null, numPrompts: options.stepPrompts ?? Math.max(16, 4 * value) };
  return options.by === "rate" ? { ...length, requestRate: value, rampUp: null } : { ...length, maxConcurrency: value };
}

const optionalNumber = (v: unknown) => (v === undefined ? undefined : Number(v));

/** `vbench search`'s flags (and environment) → the search, against the simulator with --mock. */
export async function searchFromFlags(flags: Record<string, unknown>): Promise<number> {
  const { registry, sources } = await registryFor(flags);
  const options: SearchCommandOptions = {
    sources,
    outputDir: outputDirs(flags, process.env).outputDir,
    apiKey: process.env.OPENAI_API_KEY,
    by: String(flags.by) as "rate" | "concurrency",
    fraction: Number(flags.fraction),
    min: optionalNumber(flags.min),
    max: optionalNumber(flags.max),
    stepDurationS: optionalNumber(flags.stepDuration),
    stepPrompts: optionalNumber(flags.stepPrompts),
    maxSteps: Number(flags.maxSteps),
    tolerance: Number(flags.tolerance),
    out: flags.out as string | undefined,
    workers: flags.workers,
  };
  return withMock(flags, sources, () => runSearchCommand(options, registry));
}

/** The one scenario searched, with its SLOs; configuration errors before anything is sent. */
function searchBase(plan: RunPlan): ResolvedScenario {
  if (plan.runs.length !== 1) {
    throw new VbenchError("search_scenarios", `search needs exactly one scenario, the configuration gives ${plan.runs.length}`, {
      hint: "Select one with --scenario NAME, and drop --concurrency-levels / --request-rates (the search chooses the load itself).",
    });
  }
  const base = plan.runs[0]!.scenario;
  const slo = base.goodput;
  if (slo.ttft === undefined && slo.tpot === undefined && slo.e2el === undefined) {
    throw new VbenchError("search_no_slo", "search needs at least one SLO", { hint: 'Pass --goodput, e.g. --goodput ttft:200,tpot:50 (milliseconds).' });
  }
  return base;
}

const INTERRUPTS = { first: () => "interrupted: cancelling the current step, then reporting the steps so far (Ctrl-C again exits at once)" };

/** Search, print the walk, write the result (search.json); resolves with the exit code (0, 4 nothing passed, 130 interrupted). */
export async function runSearchCommand(options: SearchCommandOptions, registry: Registry): Promise<number> {
  const defaults = SEARCH_DEFAULTS[options.by] ?? SEARCH_DEFAULTS.rate;
  const bounds: SearchBounds = { min: options.min ?? defaults.min, max: options.max ?? defaults.max, integer: options.by === "concurrency", maxSteps: options.maxSteps, tolerance: options.tolerance };
  checkOptions(options, bounds);
  const plan = resolveConfig(options.sources, registry);
  const base = searchBase(plan);
  const log = new Logger();
  const pipeline = new RunPipeline({ registry, log, apiKey: options.apiKey, workers: workerCount(options.workers) });
  // `vbench validate`'s checks (tokenizer, dataset, output directory) before anything is sent.
  await pipeline.checkBeforeSending(plan, { outputDir: options.outputDir, parsedDir: options.outputDir }, true);
  const root = join(options.outputDir, `search_${localTimestamp(new Date())}`);
  await checkWritableDir(root, { create: true });
  log.addFile(join(root, "search.log"));
  log.quiet = true; // per-step chatter goes to the log file; the table is what people read
  const unit = options.by === "rate" ? "rate (req/s)" : "concurrency";
  let discovered: ResolvedScenario | undefined;
  let outcome: SearchOutcome<SearchStepResult> | typeof FORCED_EXIT;
  try {
    outcome = await pipeline.untilDone(INTERRUPTS, async () => {
      process.stderr.write(`Searching the highest ${unit} of ${base.name} at ${base.baseUrl} where ≥ ${(options.fraction * 100).toFixed(0)}% of requests meet ${formatSlo(base.goodput)}\n`);
      process.stderr.write(tableHeader(unit) + "\n");
      discovered = await pipeline.discover(base);
      return walk(pipeline, discovered, options, bounds, root);
    });
  } finally {
    pipeline.close();
  }
  if (outcome === FORCED_EXIT) return ExitCode.interrupted;
  const result: SearchResult = {
    by: options.by,
    fraction: options.fraction,
    slo: base.goodput,
    scenario: base.name,
    baseUrl: base.baseUrl,
    model: discovered?.model ?? base.model,
    best: outcome.best,
    firstFailure: outcome.firstFailure,
    stoppedBy: outcome.stoppedBy,
    clientBound: outcome.steps.some((s) => s.result.clientBound),
    dir: root,
    steps: outcome.steps.map((s) => s.result),
  };
  process.stderr.write(conclusion(result, unit) + "\n");
  const json = JSON.stringify(result, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
  await writeFileAtomic(join(root, "search.json"), json);
  if (options.out) await writeFileAtomic(options.out, json);
  else process.stdout.write(json);
  return exitCodeFor({ interrupted: outcome.stoppedBy === "interrupted", failed: outcome.best === null });
}

/** The search's steps, each a short measured run of the discovered scenario, a table row as each ends. */
function walk(pipeline: RunPipeline, base: ResolvedScenario, options: SearchCommandOptions, bounds: SearchBounds, root: string): Promise<SearchOutcome<SearchStepResult>> {
  return searchHighestPassing<SearchStepResult>(
    async (value, step) => {
      const dir = join(root, `step${String(step).padStart(2, "0")}_${options.by === "rate" ? "r" : "c"}${value}`);
      const executed = await pipeline.step(base, stepOverrides(options, value), dir, `search-${step}`);
      const figures = stepFigures(executed.records, base.goodput, executed.summary);
      const passed = figures.goodFraction >= options.fraction && !executed.interrupted;
      return { passed, result: { step, phase: "grow", value, passed, dir, interrupted: executed.interrupted, ...figures } };
    },
    bounds,
    (s: SearchStep<SearchStepResult>) => {
      s.result.phase = s.phase;
      process.stderr.write(tableRow(s.result) + (s.result.interrupted ? "  (interrupted)" : "") + "\n");
    },
    pipeline.signal,
  );
}

function formatSlo(slo: ResolvedScenario["goodput"]): string {
  return Object.entries(slo).map(([k, v]) => `${k} ≤ ${v} ms`).join(", ");
}

/** A measured figure to `digits` decimals; "-" when there is none. */
const fixedOrDash = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? "-" : x.toFixed(digits));

/** A right-aligned cell that keeps at least one space before it, so a wide value (the achieved rate of requests all released at once can be millions per second) never runs into the cell to its left. */
const cell = (text: string, width: number) => ` ${text.padStart(width - 1)}`;

function tableHeader(unit: string): string {
  return `${"step".padEnd(5)}${"phase".padEnd(8)}${cell(unit, 14)}${cell("good", 12)}${cell("goodput", 10)}${cell("p95 TTFT", 10)}${cell("p95 TPOT", 10)}${cell("achieved", 10)}  verdict`;
}

export function tableRow(s: SearchStepResult): string {
  const good = `${(s.goodFraction * 100).toFixed(1)}%`;
  const verdict = (s.passed ? "pass" : "FAIL") + (s.clientBound ? " (client-bound: not trustworthy)" : "");
  return `${String(s.step).padEnd(5)}${s.phase.padEnd(8)}${cell(String(s.value), 14)}${cell(good, 12)}${cell(fixedOrDash(s.goodputRps, 2), 10)}${cell(fixedOrDash(s.p95TtftMs), 10)}${cell(fixedOrDash(s.p95TpotMs, 2), 10)}${cell(fixedOrDash(s.achievedRateRps, 2), 10)}  ${verdict}`;
}

/** The answer on stderr, with the client-bound caveat of any step it rests on. */
export function conclusion(search: SearchResult, unit: string): string {
  const why = { converged: "bracket converged", "min-failed": "the minimum already fails", "max-passed": "passed at --max", "max-steps": "--max-steps reached", interrupted: "interrupted" }[search.stoppedBy];
  const bracket = search.firstFailure === null ? "" : ` (first failure at ${search.firstFailure})`;
  const answer =
    search.best === null
      ? `No passing ${unit}: the SLOs fail already at ${search.firstFailure} (${why}). Steps: ${search.dir}`
      : `Highest passing ${unit}: ${search.best}${bracket}; ${why} after ${search.steps.length} step(s). Steps: ${search.dir}`;
  const bound = search.steps.filter((s) => s.clientBound).map((s) => s.value);
  if (bound.length === 0) return answer;
  return `${answer}\n!!! client-bound at ${unit} ${bound.join(", ")}: those steps measured this client's limit as much as the server's, so the answer is not trustworthy`;
}
