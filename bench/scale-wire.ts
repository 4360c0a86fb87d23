/**
 * Issue #17 items 3 and 5: vbench at scale measured against the wire.
 *
 *   npx bun bench/scale-wire.ts [--streams 1024] [--tokens-per-message 4] [--pin] [--workers N]
 *        [--preset 4096] [--both] [--prompts 2N] [--warmups N] [--output-tokens 256] [--input-tokens 32]
 *        [--ttft-ms 50] [--itl-ms 10] [--rounds K] [--keep]
 *
 * The simulator (`vbench mock`, a separate process) serves 50 ms to first
 * token, 10 ms per token, several tokens per stream message; vbench runs
 * max_concurrency N, 2N prompts at rate inf (N streams opened at once, then
 * each finished stream replaced at once), after N warm-up requests that open
 * the N keep-alive connections. tcpdump captures the loopback interface; the
 * capture is the truth (./wire-truth.ts, ./scale-compare.ts).
 *
 * --pin      the simulator on CPU 0 and vbench on CPU 1 (taskset); without it both float
 * --both     run unpinned, then pinned
 * --cpu-split  after each run, the same with 2 messages per request, and CPU per message and per request solved from the two
 * --rounds K repeat K times (interleaved with --both) and end with the range of each figure
 * --preset 4096   4096 streams, 16 tokens per message (the same ~25,600 messages/s)
 * --workers N     passed to vbench as VBENCH_WORKERS=N; the output says whether the binary honoured it
 * --keep     keep the capture and the results directory (printed)
 *
 * Prints client-minus-wire mean/p99 TTFT and p99 ITL, send lag, first-token
 * receive lag, every message's receive lag, the event-loop stall probe and CPU
 * per stream message and per request. Needs root (or CAP_NET_RAW) for tcpdump;
 * without it, says so and exits 0.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnMockProcess } from "../src/mock/spawn.ts";
import { BINARY, benchArgs, findFile, machineLoad, readResults, report, requireBinary, tempDir, writeScenario } from "./_lib.ts";
import { startWireCapture } from "./wire-truth.ts";
import { compareAtScale, scaleRecordFromLine } from "./scale-compare.ts";
import { formatRanges, formatScale, type ScaleResult, type ScaleSpec } from "./scale-format.ts";
import { sampleThreads, workerEvidence } from "./scale-probe.ts";

export function scaleSpec(args: Map<string, string>, pin = args.has("pin")): ScaleSpec {
  const preset = args.get("preset");
  if (preset !== undefined && preset !== "4096" && preset !== "1024") throw new Error(`--preset is 1024 or 4096, not ${preset}`);
  const streams = Number(args.get("streams") ?? preset ?? 1024);
  const tokensPerMessage = Number(args.get("tokens-per-message") ?? (preset === "4096" ? 16 : 4));
  return {
    streams,
    tokensPerMessage,
    prompts: Number(args.get("prompts") ?? 2 * streams),
    warmups: Number(args.get("warmups") ?? streams),
    inputTokens: Number(args.get("input-tokens") ?? 32),
    outputTokens: Number(args.get("output-tokens") ?? 256),
    ttftMs: Number(args.get("ttft-ms") ?? 50),
    itlMs: Number(args.get("itl-ms") ?? 10),
    pin,
    workers: args.has("workers") ? Number(args.get("workers")) : null,
    keep: args.has("keep"),
  };
}

/** One run; a string when the capture could not start (no tcpdump, no right to capture). */
export async function runScaleWire(spec: ScaleSpec): Promise<ScaleResult | string> {
  requireBinary();
  if (spec.pin && navigator.hardwareConcurrency < 2) return "--pin needs 2 CPUs (server on CPU 0, client on CPU 1)";
  if (spec.pin && !Bun.which("taskset")) return "--pin needs taskset (util-linux)";
  const server = spec.pin ? ["taskset", "-c", "0", BINARY] : [BINARY];
  const mock = await spawnMockProcess(server, { ttftMs: spec.ttftMs, itlMs: spec.itlMs, tokensPerChunk: spec.tokensPerMessage, exactPromptTokens: false });
  const dir = tempDir("scale-wire");
  try {
    const scenario = {
      backend: "openai",
      dataset_type: "random",
      random_input_len: spec.inputTokens,
      random_output_len: spec.outputTokens,
      max_concurrency: spec.streams,
      num_prompts: spec.prompts,
      request_rate: "inf",
      warmups: spec.warmups,
      tokenizer: "gpt2",
    };
    const config = await writeScenario(dir, scenario);
    // 256 MiB of kernel buffer: ~25,000 messages/s plus ACKs must not overflow while tcpdump is descheduled.
    const capture = await startWireCapture(Number(new URL(mock.url).port), join(dir, "wire.pcap"), { bufferKiB: 262_144 });
    if (typeof capture === "string") return capture;
    const load = machineLoad();
    const args = ["run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out")];
    const client = [...(spec.pin ? ["taskset", "-c", "1"] : []), BINARY, ...args];
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    if (spec.workers !== null) env.VBENCH_WORKERS = String(spec.workers);
    const proc = Bun.spawn(client, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
    const threads = sampleThreads(proc.pid);
    const [, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const threadCpu = threads.stop();
    const seen = { retransmissions: 0 };
    const wire = await capture.stop(seen);
    if (code !== 0) throw new Error(`vbench exited ${code}: ${stderr.slice(-2000)}`);
    const out = join(dir, "out");
    const lines = readFileSync(findFile(out, "requests.jsonl"), "utf8").split("\n").filter(Boolean);
    const records = lines.map(scaleRecordFromLine);
    const comparison = compareAtScale(records, wire);
    const sent = Float64Array.from(records, (r) => r.sentAtMs).sort();
    const wave = Math.min(spec.streams, sent.length) - 1;
    const doc = readResults(out);
    const usage = proc.resourceUsage();
    const command =
      `${spec.pin ? "taskset -c 1 " : ""}dist/vbench run --config scenario.json --base-url $SIM --output-dir out` +
      `${spec.workers !== null ? ` (VBENCH_WORKERS=${spec.workers})` : ""}  # scenario.json: ${JSON.stringify(scenario)}; ` +
      `simulator: ${spec.pin ? "taskset -c 0 " : ""}vbench mock --ttft-ms ${spec.ttftMs} --itl-ms ${spec.itlMs} --tokens-per-chunk ${spec.tokensPerMessage}; ` +
      `capture: tcpdump -i lo -B 262144 -s 0 tcp port $PORT`;
    return {
      spec,
      comparison,
      requests: lines.length,
      retransmissions: seen.retransmissions,
      firstWaveSendSpanMs: wave >= 0 ? sent[wave]! - sent[0]! : NaN,
      failed: doc.failed as number,
      client: doc.vbench.client,
      processCpuS: usage ? Number(usage.cpuTime.total) / 1e6 : NaN,
      involuntarySwitches: usage ? usage.contextSwitches.involuntary : NaN,
      threadCpu,
      workers: spec.workers === null ? null : workerEvidence(doc, out, spec.workers, threadCpu),
      command,
      load,
      kept: spec.keep ? dir : null,
    };
  } finally {
    await mock.stop();
    if (!spec.keep) rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchScaleWire(args = benchArgs()): Promise<(ScaleResult | string)[]> {
  const pins = args.has("both") ? [false, true] : [args.has("pin")];
  const rounds = Number(args.get("rounds") ?? 1);
  const results: (ScaleResult | string)[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const pin of pins) {
      const spec = scaleSpec(args, pin);
      const title = `scale vs wire: ${spec.streams} streams, ${spec.tokensPerMessage} tokens/message, ${pin ? "pinned (server CPU 0, client CPU 1)" : "unpinned"}${spec.workers !== null ? `, VBENCH_WORKERS=${spec.workers}` : ""}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`;
      const r = await runScaleWire(spec);
      results.push(r);
      if (typeof r === "string") {
        console.log(`\n## ${title}\n  skipped: ${r}`);
        return results;
      }
      report(title, formatScale(r), r.command, r.load);
      if (args.has("cpu-split")) await cpuSplit(r);
    }
  }
  const done = results.filter((r): r is ScaleResult => typeof r !== "string");
  if (done.length > 1) report("scale vs wire: ranges over the runs above", formatRanges(done), "(the runs above)", machineLoad());
  return results;
}

/**
 * --cpu-split: the same run with every token after the first in one message (2 messages per request), then
 * client CPU = a × requests + b × messages solved from the two runs: b is the CPU per stream message, a per request
 * (request bytes, send, headers, the record, everything but the messages). Both runs on a busy machine are noisy.
 */
async function cpuSplit(r: ScaleResult): Promise<void> {
  const spec = { ...r.spec, tokensPerMessage: r.spec.outputTokens };
  const other = await runScaleWire(spec);
  if (typeof other === "string") return void console.log(`  cpu split: skipped (${other})`);
  const [m1, m2] = [r.comparison.messages, other.comparison.messages];
  const [c1, c2] = [r.client.client_cpu_s, other.client.client_cpu_s];
  const perMessageS = (c1 - c2) / (m1 - m2);
  const perRequestS = (c1 - perMessageS * m1) / r.requests;
  report(
    `CPU split (${spec.streams} streams, ${r.spec.pin ? "pinned" : "unpinned"})`,
    [
      `${m1} messages: ${c1.toFixed(2)} s; ${m2} messages (${spec.tokensPerMessage} tokens/message after the first): ${c2.toFixed(2)} s; both ${r.requests} requests`,
      `per stream message ${(perMessageS * 1e6).toFixed(1)} µs, per request ${(perRequestS * 1e6).toFixed(1)} µs (client CPU = a × requests + b × messages)`,
    ],
    other.command,
    other.load,
  );
}

if (import.meta.main) await benchScaleWire();
