/**
 * Measured versus true TTFT and ITL: the compiled binary against the
 * simulator (separate processes), every request matched by x-request-id with
 * the simulator's own record (GET /_truth).
 *
 *   npx bun bench/accuracy.ts [--streams 16,256,1024,4096] [--output-tokens 256]
 *        [--itl-ms 10] [--ttft-ms 50] [--modes steady,burst] [--skip-issue2] [--wire]
 *
 * Two arrival patterns per stream count N (both after N warm-up requests, so
 * N keep-alive connections exist and connection set-up is not in the figure):
 * - steady: 2N requests at a constant N / (stream duration) req/s with
 *   max_concurrency N, so about N streams run at once with staggered tokens.
 * - burst: N requests released at once (rate inf): every stream's tokens are
 *   due at the same instant, so each token step is N reads in one burst and the
 *   last read of a burst is stamped after the client processed the other N−1.
 * The simulator sends several tokens per chunk at high N to stay cheap
 * (autoTokensPerChunk: at most 25,000 chunks/s); the table says how many.
 *
 * --wire also captures the loopback traffic of the stream cases (the issue-2
 * case always is), so the simulator's own record, which `vbench calibrate`
 * judges the client by, is itself checked against the packets: a request
 * the simulator reads late (its event loop busy on the shared cores) makes
 * its record's TTFT short and the client's error look larger than it is.
 */
import { autoTokensPerChunk, calibrationScenario } from "../src/commands/calibrate.ts";
import { compareWithTruth, fetchTruth, type TruthComparison } from "../src/results/truth-compare.ts";
import { AT_SCALE_BUFFER_KIB, startWireCapture, wireAsTruth } from "../src/results/wire-capture.ts";
import { benchArgs, machineLoad, ms, numberList, readResults, readTimings, report, runBinary, signed, startSimulator, tempDir, writeScenario } from "./_lib.ts";
import { stealMsPerCpu, stealSinceMs } from "../src/base/steal.ts";

export interface AccuracyCase {
  label: string;
  streams: number;
  mode: "steady" | "burst" | "issue2";
  tokensPerChunk: number;
  comparison: TruthComparison;
  /** Measured against the packets on the wire (issue-2 case, when tcpdump can run); else why not. */
  wire: TruthComparison | string | null;
  outputTokensPerS: number;
  loopLagP99Ms: number;
  clientCpuS: number;
  clientBound: boolean;
  /** Steal time of every CPU while the client ran (ms, summed; null where not reported): the simulator shares them. */
  stealMs: number | null;
  failed: number;
  command: string;
  load: string;
}

interface CaseSpec {
  label: string;
  mode: AccuracyCase["mode"];
  streams: number;
  outputTokens: number;
  ttftMs: number;
  itlMs: number;
  tokensPerChunk: number;
  scenario: Record<string, unknown>;
  /** Also capture the loopback traffic and compare with the wire (small cases only: every packet is kept). */
  wire?: boolean;
}

export async function runCase(spec: CaseSpec): Promise<AccuracyCase> {
  const mock = await startSimulator({ ttftMs: spec.ttftMs, itlMs: spec.itlMs, tokensPerChunk: spec.tokensPerChunk });
  try {
    const dir = tempDir("accuracy");
    const config = await writeScenario(dir, spec.scenario);
    const bufferKiB = spec.mode === "issue2" ? undefined : AT_SCALE_BUFFER_KIB;
    const capture = spec.wire ? await startWireCapture(Number(new URL(mock.url).port), `${dir}/wire.pcap`, { bufferKiB }) : null;
    const load = machineLoad();
    const stealBefore = stealMsPerCpu();
    const run = await runBinary(["run", "--config", config, "--base-url", mock.url, "--output-dir", `${dir}/out`]);
    const stealMs = stealSinceMs(stealBefore, null);
    const wireTimings = capture && typeof capture !== "string" ? await capture.stop() : null;
    if (run.code !== 0) throw new Error(`vbench exited ${run.code}: ${run.stderr.slice(-2000)}`);
    const timings = readTimings(`${dir}/out`);
    const comparison = compareWithTruth(timings, await fetchTruth(mock.url));
    const wire = wireTimings ? compareWithTruth(timings, wireTimings.map(wireAsTruth)) : typeof capture === "string" ? capture : null;
    const doc = readResults(`${dir}/out`);
    const client = doc.vbench.client;
    return {
      label: spec.label,
      streams: spec.streams,
      mode: spec.mode,
      tokensPerChunk: spec.tokensPerChunk,
      comparison,
      wire,
      outputTokensPerS: doc.output_throughput as number,
      loopLagP99Ms: client.event_loop_lag_ms.p99,
      clientCpuS: client.client_cpu_s,
      clientBound: client.client_bound,
      stealMs,
      failed: doc.failed as number,
      command: `${run.command.replace(config, "scenario.json").replace(mock.url, "$SIM").replace(`${dir}/out`, "out")}  # scenario.json: ${JSON.stringify(spec.scenario)}; simulator: vbench mock --ttft-ms ${spec.ttftMs} --itl-ms ${spec.itlMs} --tokens-per-chunk ${spec.tokensPerChunk}`,
      load,
    };
  } finally {
    await mock.stop();
  }
}

export function streamSpec(streams: number, mode: "steady" | "burst", outputTokens: number, ttftMs: number, itlMs: number): CaseSpec {
  const tokensPerChunk = autoTokensPerChunk(streams, itlMs);
  const scenario = calibrationScenario(streams, outputTokens, ttftMs, itlMs, mode);
  return { label: `${streams} streams, ${mode}`, mode, streams, outputTokens, ttftMs, itlMs, tokensPerChunk, scenario };
}

/** Issue 2's figure: 64 requests at concurrency 8, chat API, 50 ms TTFT, 10 ms/token, nothing pre-warmed. */
export function issue2Spec(): CaseSpec {
  return {
    label: "issue 2: 64 requests, concurrency 8 (chat)",
    mode: "issue2",
    streams: 8,
    outputTokens: 128,
    ttftMs: 50,
    itlMs: 10,
    tokensPerChunk: 1,
    scenario: { backend: "openai-chat", random_input_len: 64, random_output_len: 128, num_prompts: 64, max_concurrency: 8 },
    wire: true,
  };
}

export function formatCase(c: AccuracyCase): string[] {
  const x = c.comparison;
  return [
    `${c.label}: ${c.tokensPerChunk} token(s)/chunk, ${x.matched} requests matched, ${x.gaps} gaps, ${c.failed} failed, ${Math.round(c.outputTokensPerS)} output tok/s`,
    `  TTFT mean measured ${ms(x.measuredMeanTtftMs)} vs true ${ms(x.trueMeanTtftMs)}: error ${signed(x.ttftErrorMs.mean)} ms (p50 ${signed(x.ttftErrorMs.p50)}, p99 ${signed(x.ttftErrorMs.p99)}, max ${signed(x.ttftErrorMs.max)})`,
    `  ITL  mean measured ${ms(x.measuredMeanItlMs, 3)} vs true ${ms(x.trueMeanItlMs, 3)}: error ${signed(x.itlErrorMs, 3)} ms; later chunks' extra delay p50 ${signed(x.chunkDelayErrorMs.p50)} p99 ${signed(x.chunkDelayErrorMs.p99)} ms`,
    ...formatWire(c.wire, x),
    `  client: event-loop lag p99 ${ms(c.loopLagP99Ms)}, CPU ${c.clientCpuS.toFixed(2)} s${c.clientBound ? ", flagged client-bound" : ""}${c.stealMs === null ? "" : `; steal on all CPUs while it ran ${c.stealMs.toFixed(0)} ms`}`,
  ];
}

function formatWire(w: AccuracyCase["wire"], truth: TruthComparison): string[] {
  if (w === null) return [];
  if (typeof w === "string") return [`  vs the wire: not measured (${w})`];
  return [
    `  vs the wire (${w.matched} requests${w.missingFromTruth ? `, ${w.missingFromTruth} not seen` : ""}${w.chunkCountMismatch ? `, ${w.chunkCountMismatch} with another message count` : ""}): TTFT measured ${ms(w.measuredMeanTtftMs)} vs wire ${ms(w.trueMeanTtftMs)}: error ${signed(w.ttftErrorMs.mean)} ms (p50 ${signed(w.ttftErrorMs.p50)}, p99 ${signed(w.ttftErrorMs.p99)}, max ${signed(w.ttftErrorMs.max)})`,
    `  vs the wire: ITL measured ${ms(w.measuredMeanItlMs, 3)} vs wire ${ms(w.trueMeanItlMs, 3)}: error ${signed(w.itlErrorMs, 3)} ms`,
    // The simulator's record starts when it reads the request; the wire's when the request's packet passed.
    `  the simulator's own record vs the wire: mean TTFT ${signed(truth.trueMeanTtftMs - w.trueMeanTtftMs)} ms (its lateness in reading requests, which the "true" error above counts as the client's)`,
  ];
}

export async function benchAccuracy(args = benchArgs()): Promise<AccuracyCase[]> {
  const streams = numberList(args.get("streams"), [16, 256, 1024, 4096]);
  const modes = (args.get("modes") ?? "steady,burst").split(",") as ("steady" | "burst")[];
  const outputTokens = Number(args.get("output-tokens") ?? 256);
  const itlMs = Number(args.get("itl-ms") ?? 10);
  const ttftMs = Number(args.get("ttft-ms") ?? 50);
  const specs: CaseSpec[] = args.has("skip-issue2") ? [] : [issue2Spec()];
  for (const n of streams) for (const mode of modes) specs.push({ ...streamSpec(n, mode, outputTokens, ttftMs, itlMs), wire: args.has("wire") });
  const results: AccuracyCase[] = [];
  for (const spec of specs) {
    const c = await runCase(spec);
    results.push(c);
    report(`accuracy: ${c.label}`, formatCase(c), c.command, c.load);
  }
  return results;
}

if (import.meta.main) await benchAccuracy();
