/**
 * `vbench calibrate`: this machine's client ceiling. Starts the built-in
 * simulator in a child process, drives it with 16, 64, 256, 1024, ...
 * concurrent streams, and compares what the client measured with what the
 * simulator recorded itself doing (src/results/truth-compare.ts). The ceiling is
 * the largest stream count at which mean TTFT stays within 1 ms and mean ITL
 * within 0.2 ms of the truth. Once a level fails, the levels between the last
 * passing one and it are bisected (the bisection of `vbench search`), so the
 * ceiling is known to within a quarter rather than a factor of 4. The
 * simulator shares the machine's cores, so the figure is conservative for a
 * client benchmarking a remote server. With `--wire` the reference is the
 * packets on the loopback interface instead (tcpdump, ../results/wire-capture.ts):
 * the simulator's record starts a request only when its busy event loop gets
 * to it, and that wait would count as the client's error.
 */
import { workerCount } from "../engine/workers.ts";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Registry } from "../plugin-host/registry.ts";
import { resolveConfig } from "../config/config.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { fileRoom } from "../base/open-files.ts";
import { Logger } from "../base/log.ts";
import { FORCED_EXIT, RunPipeline, exitCodeFor } from "../run/pipeline.ts";
import { clearTruth, compareWithTruth, fetchTruth, type TruthComparison } from "../results/truth-compare.ts";
import { wireAsTruth } from "../results/wire-capture.ts";
import { checkCapture, startCapture } from "./calibrate-wire.ts";
import { selfCommand, spawnMockProcess, type SpawnedMock } from "../mock/spawn.ts";
import { loadRegistry } from "./load-registry.ts";
import { calibrationLevels, calibrationMisses, ITL_TOLERANCE_MS, TTFT_TOLERANCE_MS, walkLevels } from "./calibrate-levels.ts";

export interface CalibrateOptions {
  /** Largest stream count tried (levels are 16 × 4^k up to it, and it). Default 4096. */
  maxStreams?: number;
  /** Explicit levels instead of the default progression (tests use small ones). */
  levels?: number[];
  /** --workers as given (src/engine/workers.ts reads it, or VBENCH_WORKERS). */
  workers?: unknown;
  outputTokens?: number;
  itlMs?: number;
  ttftMs?: number;
  /** Tokens per streamed chunk; default: chosen per level so the simulator sends at most CHUNK_BUDGET_PER_S chunks/s. */
  tokensPerChunk?: number;
  ttftToleranceMs?: number;
  itlToleranceMs?: number;
  /** Keep per-level records here (default: a temporary directory, removed afterwards). */
  outputDir?: string;
  /** Keep going after the first failing level. */
  allLevels?: boolean;
  /** Bisect between the ceiling and the first failing level (default true). */
  refine?: boolean;
  /** How to start this vbench as a child (`<cmd> mock ...`); default: the running binary. */
  selfCommand?: string[];
  /** Write the JSON here instead of stdout. */
  out?: string;
  /** Judge against a packet capture of the loopback interface (tcpdump) instead of the simulator's record. */
  wire?: boolean;
}

export interface CalibrationLevel {
  streams: number;
  tokensPerChunk: number;
  completed: number;
  failed: number;
  /** Measured against the calibration's reference (the simulator's record, or the wire with --wire): the verdict's figures. */
  comparison: TruthComparison;
  /** With --wire: measured against the simulator's own record as well, to show what the reference changed. */
  simulatorRecord?: TruthComparison;
  /** Output tokens/s the client received over the run. */
  outputTokensPerS: number;
  /** Chunks (token-bearing messages) per second the client received. */
  chunksPerS: number;
  eventLoopLagP99Ms: number;
  clientCpuS: number;
  clientBound: boolean;
  /**
   * How far the simulator's own mean TTFT ran past the configured one (its record: request
   * received to first chunk written). Beyond the TTFT tolerance the simulator, sharing this
   * machine's cores, is behind its schedule, and the level says as much about it as about the client.
   */
  simulatorLateMs: number;
  /** Steal time on the client's CPUs during the level (ms; null where not reported): the hypervisor's share of any error. */
  stealMs: number | null;
  passed: boolean;
}

export interface Calibration {
  /** What the client's timings were judged against: the simulator's own record, or the packets on the wire (--wire). */
  reference: "simulator" | "wire";
  ttftToleranceMs: number;
  itlToleranceMs: number;
  outputTokens: number;
  itlMs: number;
  ttftMs: number;
  levels: CalibrationLevel[];
  /** Largest passing stream count, null when even the first level failed. */
  ceilingStreams: number | null;
  ceilingTokensPerS: number | null;
  /** Set when Ctrl-C stopped the calibration: `levels` are the ones measured before it. */
  interrupted?: true;
}

/** Simulator chunks per second the automatic tokens-per-chunk aims at: it shares 2 cores with the client. */
export const CHUNK_BUDGET_PER_S = 25_000;
export function autoTokensPerChunk(streams: number, itlMs: number): number {
  return Math.max(1, Math.ceil((streams * (1000 / itlMs)) / CHUNK_BUDGET_PER_S));
}

export async function calibrate(options: CalibrateOptions, registry: Registry, onLevel: (l: CalibrationLevel) => void = () => {}): Promise<Calibration> {
  const outputTokens = options.outputTokens ?? 256;
  const itlMs = options.itlMs ?? 10;
  const ttftMs = options.ttftMs ?? 50;
  const ttftTol = options.ttftToleranceMs ?? TTFT_TOLERANCE_MS;
  const itlTol = options.itlToleranceMs ?? ITL_TOLERANCE_MS;
  const levels = options.levels ?? calibrationLevels(options.maxStreams ?? 4096);
  const problems: string[] = [];
  if (!levels.every((n) => Number.isInteger(n) && n >= 1)) problems.push(`stream counts must be whole numbers ≥ 1, got ${levels.join(", ")}`);
  if (!(Number.isInteger(outputTokens) && outputTokens >= 2)) problems.push(`--output-tokens must be a whole number ≥ 2, got ${outputTokens}`);
  if (!(itlMs > 0)) problems.push(`--itl-ms must be > 0, got ${itlMs}`);
  if (!(ttftMs >= 0)) problems.push(`--ttft-ms must be ≥ 0, got ${ttftMs}`);
  if (options.tokensPerChunk !== undefined && !(Number.isInteger(options.tokensPerChunk) && options.tokensPerChunk >= 1)) problems.push(`--tokens-per-chunk must be a whole number ≥ 1`);
  // Each stream is a connection; past the open-file limit Bun reports refused connections (src/base/open-files.ts).
  const room = fileRoom();
  if (room && Math.max(...levels) > room.free) problems.push(`${Math.max(...levels)} streams need as many connections, but this process may open ${room.limit} files (ulimit -n): set --max-streams ${room.free} at most, or raise the limit`);
  if (problems.length) throw new VbenchError("calibrate_options", "invalid calibrate options", { details: problems, exitCode: ExitCode.config });

  const root = options.outputDir ?? mkdtempSync(join(tmpdir(), "vbench-calibrate-"));
  mkdirSync(root, { recursive: true });
  const log = new Logger();
  log.quiet = true;
  log.addFile(join(root, "calibrate.log"));
  const result: Calibration = { reference: options.wire ? "wire" : "simulator", ttftToleranceMs: ttftTol, itlToleranceMs: itlTol, outputTokens, itlMs, ttftMs, levels: [], ceilingStreams: null, ceilingTokensPerS: null };
  const pipeline = new RunPipeline({ registry, log, workers: workerCount(options.workers) });
  /** The running level's simulator: stopped on the way out even when a second Ctrl-C leaves the level behind. */
  const running: { mock?: SpawnedMock } = {};
  const measure = async (streams: number): Promise<boolean | null> => {
    if (pipeline.interrupted) return null;
    const tokensPerChunk = options.tokensPerChunk ?? autoTokensPerChunk(streams, itlMs);
    const mock = (running.mock = await spawnMockProcess(options.selfCommand ?? selfCommand(), { ttftMs, itlMs, tokensPerChunk, exactPromptTokens: false }));
    let level: CalibrationLevel | null;
    try {
      level = await runLevel(pipeline, mock, streams, tokensPerChunk, { outputTokens, ttftMs, itlMs, wire: options.wire === true }, join(root, `streams_${streams}`));
    } finally {
      await mock.stop();
    }
    if (!level) return null;
    const c = level.comparison;
    level.passed = calibrationMisses({ failed: level.failed, unmatched: level.completed - c.matched, meanTtftErrorMs: c.ttftErrorMs.mean, meanItlErrorMs: c.itlErrorMs }, ttftTol, itlTol).length === 0;
    result.levels.push(level);
    onLevel(level);
    return level.passed;
  };
  const walk = async () => {
    await walkLevels(levels, measure, options, (streams) => {
      result.ceilingStreams = streams;
      result.ceilingTokensPerS = result.levels.findLast((l) => l.streams === streams)!.outputTokensPerS;
    });
  };
  try {
    if ((await pipeline.untilDone(INTERRUPTS, walk)) === FORCED_EXIT || pipeline.interrupted) result.interrupted = true;
  } finally {
    pipeline.close();
    await running.mock?.stop();
    if (!options.outputDir) rmSync(root, { recursive: true, force: true });
  }
  return result;
}

const INTERRUPTS = { first: () => "interrupted: stopping the current level, then reporting the levels measured so far (Ctrl-C again exits at once)" };

/**
 * The scenario of one level. N warm-up requests first open N keep-alive
 * connections (connection set-up is a one-time cost, not the client's
 * steady-state accuracy). Then `steady`: 2N requests at a constant
 * N / (stream duration) req/s under max_concurrency N, so about N streams run
 * at once with their tokens staggered, as under real arrivals; or `burst`: N
 * requests at once, every stream's tokens due at the same instant (the worst
 * case: the last read of each burst waits for the other N − 1).
 */
export function calibrationScenario(streams: number, outputTokens: number, ttftMs: number, itlMs: number, mode: "steady" | "burst" = "steady"): Record<string, unknown> {
  const base = { backend: "openai", dataset_type: "random", random_input_len: 32, random_output_len: outputTokens, max_concurrency: streams, warmups: streams, tokenizer: "gpt2" };
  return mode === "steady"
    ? { ...base, num_prompts: 2 * streams, request_rate: steadyRate(streams, outputTokens, ttftMs, itlMs), burstiness: "inf" }
    : { ...base, num_prompts: streams, request_rate: "inf" };
}

/** The steady level's arrival rate (req/s): N streams of (TTFT + (tokens − 1) × ITL) each keep about N in flight. */
export function steadyRate(streams: number, outputTokens: number, ttftMs: number, itlMs: number): number {
  return Number((streams / ((ttftMs + (outputTokens - 1) * itlMs) / 1000)).toFixed(3));
}

/** One level against its own simulator; null when interrupted (an interrupted level measured nothing whole). */
async function runLevel(pipeline: RunPipeline, mock: SpawnedMock, streams: number, tokensPerChunk: number, o: { outputTokens: number; ttftMs: number; itlMs: number; wire: boolean }, dir: string): Promise<CalibrationLevel | null> {
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, "calibrate.json");
  const scenario = { name: `calibrate_${streams}`, base_url: mock.url, ...calibrationScenario(streams, o.outputTokens, o.ttftMs, o.itlMs) };
  writeFileSync(configPath, JSON.stringify({ scenarios: [scenario], exporters: "json" }));
  const plan = resolveConfig({ configPath, flags: {}, env: {}, select: [], plugins: [] }, pipeline.registry);
  try {
    const base = await pipeline.discover(plan.runs[0]!.scenario);
    await pipeline.tokenizer(base.tokenizer);
    await clearTruth(mock.url);
    const capture = o.wire ? await startCapture(Number(new URL(mock.url).port), dir) : null;
    const executed = await pipeline.step(base, {}, dir, "").catch(async (error: unknown) => {
      await capture?.abort(); // no tcpdump left running
      throw error;
    });
    const wire = capture ? await capture.stop() : null;
    // Ctrl-C in a terminal stops the simulator too: its truth may be gone.
    if (executed.interrupted || pipeline.interrupted) return null;
    const truth = await fetchTruth(mock.url);
    const simulatorRecord = compareWithTruth(executed.records, truth);
    const comparison = wire ? compareWithTruth(executed.records, wire.map(wireAsTruth)) : simulatorRecord;
    const s = executed.summary;
    let chunks = 0;
    for (const r of executed.records) chunks += r.chunkAtMs.length;
    return {
      streams,
      tokensPerChunk,
      completed: s.completed,
      failed: s.failed,
      comparison,
      outputTokensPerS: s.outputThroughput,
      chunksPerS: s.durationS > 0 ? chunks / s.durationS : 0,
      eventLoopLagP99Ms: s.extras.eventLoopLagMs.p99,
      clientCpuS: s.extras.clientCpuS,
      clientBound: s.extras.clientBound,
      simulatorLateMs: simulatorRecord.trueMeanTtftMs - o.ttftMs,
      stealMs: s.extras.stealMs ?? null,
      ...(wire ? { simulatorRecord } : {}),
      passed: false,
    };
  } finally {
    // Each level starts without connections, as against a new server.
    pipeline.close();
  }
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");

export function calibrationHeader(): string {
  return `${"streams".padStart(8)}${"tok/chunk".padStart(10)}${"TTFT meas".padStart(11)}${"true".padStart(9)}${"error".padStart(8)}${"ITL meas".padStart(10)}${"true".padStart(9)}${"error".padStart(8)}${"chunk p99".padStart(11)}${"tok/s".padStart(10)}${"loop p99".padStart(10)}  verdict`;
}

export function calibrationRow(l: CalibrationLevel, ttftToleranceMs = 1): string {
  const c = l.comparison;
  const notes = [
    ...(l.failed ? [`${l.failed} failed`] : []),
    ...(l.simulatorLateMs > ttftToleranceMs ? [`simulator ${f(l.simulatorLateMs)} ms behind`] : []),
    ...(l.stealMs ? [`steal ${l.stealMs.toFixed(0)} ms`] : []),
  ];
  const verdict = `${l.passed ? "within" : "OUTSIDE"}${notes.length ? ` (${notes.join(", ")})` : ""}`;
  return `${String(l.streams).padStart(8)}${String(l.tokensPerChunk).padStart(10)}${f(c.measuredMeanTtftMs).padStart(11)}${f(c.trueMeanTtftMs).padStart(9)}${f(c.ttftErrorMs.mean).padStart(8)}${f(c.measuredMeanItlMs, 3).padStart(10)}${f(c.trueMeanItlMs, 3).padStart(9)}${f(c.itlErrorMs, 3).padStart(8)}${f(c.chunkDelayErrorMs.p99).padStart(11)}${Math.round(l.outputTokensPerS).toString().padStart(10)}${f(l.eventLoopLagP99Ms).padStart(10)}  ${verdict}`;
}

const optionalNumber = (v: unknown) => (v === undefined ? undefined : Number(v));

/** `vbench calibrate`'s flags → the calibration (built-in plugins only: it drives the built-in simulator). */
export async function calibrateFromFlags(flags: Record<string, unknown>): Promise<number> {
  const registry = await loadRegistry([]);
  const options: CalibrateOptions = {
    maxStreams: optionalNumber(flags.maxStreams),
    outputTokens: optionalNumber(flags.outputTokens),
    itlMs: optionalNumber(flags.itlMs),
    ttftMs: optionalNumber(flags.ttftMs),
    tokensPerChunk: optionalNumber(flags.tokensPerChunk),
    allLevels: Boolean(flags.allLevels),
    refine: flags.refine !== false,
    outputDir: flags.outputDir as string | undefined,
    out: flags.out as string | undefined,
    wire: Boolean(flags.wire),
    selfCommand: selfCommand(),
    workers: flags.workers,
  };
  return runCalibrateCommand(options, registry);
}

/** The command: table on stderr, JSON on stdout (or --out). Exit 0 when some level passed. */
export async function runCalibrateCommand(options: CalibrateOptions, registry: Registry): Promise<number> {
  const levels = options.levels ?? calibrationLevels(options.maxStreams ?? 4096);
  if (options.wire) await checkCapture();
  process.stderr.write(`Calibrating the client against the built-in simulator (${options.outputTokens ?? 256} output tokens, TTFT ${options.ttftMs ?? 50} ms, ITL ${options.itlMs ?? 10} ms) at ${levels.join(", ")} streams${options.refine === false ? "" : ", then between the last within and the first outside"}; errors are measured − ${options.wire ? "wire (tcpdump on lo), the \"true\" columns the wire's" : "true (the simulator's own record)"}, ms\n`);
  process.stderr.write(calibrationHeader() + "\n");
  const result = await calibrate(options, registry, (l) => process.stderr.write(calibrationRow(l, options.ttftToleranceMs) + "\n"));
  const ceiling =
    result.ceilingStreams === null
      ? `No level was within ${result.ttftToleranceMs} ms (TTFT) / ${result.itlToleranceMs} ms (ITL): this machine's client cannot be trusted at ${levels[0]} streams.`
      : `Client ceiling on this machine: ${result.ceilingStreams} concurrent streams (${Math.round(result.ceilingTokensPerS!)} output tokens/s) with mean TTFT within ${result.ttftToleranceMs} ms and mean ITL within ${result.itlToleranceMs} ms of ${result.reference === "wire" ? "the wire" : "the simulator's record"}.`;
  process.stderr.write(ceiling + "\n");
  const behind = result.levels.filter((l) => !l.passed && l.simulatorLateMs > result.ttftToleranceMs).map((l) => l.streams);
  if (behind.length > 0) {
    process.stderr.write(`At ${behind.join(", ")} streams the simulator itself ran behind its own schedule (it shares this machine's cores): those verdicts are on the client and the simulator together, and against a remote server the client alone may go further.\n`);
  }
  const json = JSON.stringify(result, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
  if (options.out) await Bun.write(options.out, json);
  else process.stdout.write(json);
  return exitCodeFor({ interrupted: result.interrupted === true, failed: result.ceilingStreams === null });
}
