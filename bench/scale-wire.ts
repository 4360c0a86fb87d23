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
 * capture is the truth (src/results/wire-capture.ts, ./scale-compare.ts).
 *
 * --pin      the simulator, tcpdump and this process on CPU 0, vbench on CPU 1 (taskset); without it all float
 * --both     run unpinned, then pinned
 * --cpu-split  after each run, the same with 2 messages per request, and CPU per message and per request solved from the two
 * --rounds K repeat K times (interleaved with --both) and end with the range of each figure
 * --preset 4096   4096 streams, 16 tokens per message (the same ~25,600 messages/s)
 * --steady   calibrate's steady level instead of all at once: 2N requests at N / (stream duration) req/s,
 *            evenly spaced (`vbench calibrate`'s scenario; the floor clients release on the same schedule), and
 *            each run judged by calibrate's criterion too (mean TTFT within 1 ms, mean ITL within 0.2 ms)
 * --rate R   steady arrivals at R req/s instead (--steady's spacing at another rate)
 * --workers N     passed to vbench as VBENCH_WORKERS=N; the output says whether the binary honoured it
 * --client floor  run bench/floor-client.c instead of vbench (compiled with cc): the same closed loop done with
 *                 the least a client can do (one C thread, epoll, a stamp per read), so its error is the machine's floor
 * --client bun-floor  the same loop in Bun (bench/floor-client.ts: raw sockets, nothing else): the runtime's floor
 * --client bun-pipeline  the Bun floor's loop carrying each request through vbench's own HTTP client, TimedRequest
 *                 and openai parser, steady releases timed by vbench's release clock (floor-client.ts --pipeline
 *                 --release-clock): vbench's per-request path on one thread, without the rest of its engine
 * --vs-floor      each round runs vbench, the C floor client, the Bun one and the Bun pipeline on the same settings (interleaved)
 * --vs-binary PATH  each round also runs that vbench binary (an older build) against this build's simulator
 * --keep     keep the capture and the results directory (printed)
 *
 * Prints client-minus-wire mean/p99 TTFT and p99 ITL, send lag, first-token
 * receive lag, every message's receive lag, the event-loop stall probe (the
 * floor clients run the same 20 ms probe) and CPU per stream message and per
 * request. Needs root (or CAP_NET_RAW) for tcpdump;
 * without it, says so and exits 0.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawnMockProcess, type SpawnedMock } from "../src/mock/spawn.ts";
import { BINARY, benchArgs, buildCHelper, findFile, machineLoad, readResults, REPO, report, requireBinary, tempDir, writeScenario } from "./_lib.ts";
import { stealMsPerCpu, stealSincePerCpu } from "../src/base/steal.ts";
import { AT_SCALE_BUFFER_KIB, startWireCapture } from "../src/results/wire-capture.ts";
import { steadyRate } from "../src/commands/calibrate.ts";
import { compareAtScale, dist, scaleRecordFromLine } from "./scale-compare.ts";
import { formatRanges, formatScale, type ScaleResult, type ScaleSpec } from "./scale-format.ts";
import { sampleThreads, workerEvidence } from "./scale-probe.ts";

const CLIENTS: ScaleSpec["client"][] = ["vbench", "floor", "bun-floor", "bun-pipeline"];

export function scaleSpec(args: Map<string, string>, pin = args.has("pin"), client = (args.get("client") ?? "vbench") as ScaleSpec["client"]): ScaleSpec {
  const preset = args.get("preset");
  if (preset !== undefined && preset !== "4096" && preset !== "1024") throw new Error(`--preset is 1024 or 4096, not ${preset}`);
  const streams = Number(args.get("streams") ?? preset ?? 1024);
  const tokensPerMessage = Number(args.get("tokens-per-message") ?? (preset === "4096" ? 16 : 4));
  if (!CLIENTS.includes(client) && !(client === "other" && args.has("vs-binary"))) throw new Error(`--client is ${CLIENTS.join(", ")}, not ${client}`);
  const outputTokens = Number(args.get("output-tokens") ?? 256);
  const ttftMs = Number(args.get("ttft-ms") ?? 50);
  const itlMs = Number(args.get("itl-ms") ?? 10);
  return {
    client,
    streams,
    tokensPerMessage,
    prompts: Number(args.get("prompts") ?? 2 * streams),
    warmups: Number(args.get("warmups") ?? streams),
    inputTokens: Number(args.get("input-tokens") ?? 32),
    outputTokens,
    ttftMs,
    itlMs,
    pin,
    workers: args.has("workers") ? Number(args.get("workers")) : null,
    keep: args.has("keep"),
    otherBinary: args.get("vs-binary") ?? null,
    rate: args.has("rate") ? Number(args.get("rate")) : args.has("steady") ? steadyRate(streams, outputTokens, ttftMs, itlMs) : null,
  };
}

/** One run; a string when the capture could not start (no tcpdump, no right to capture) or the client cannot run. */
export async function runScaleWire(spec: ScaleSpec): Promise<ScaleResult | string> {
  requireBinary();
  if (spec.pin && navigator.hardwareConcurrency < 2) return "--pin needs 2 CPUs (server on CPU 0, client on CPU 1)";
  if (spec.pin && !Bun.which("taskset")) return "--pin needs taskset (util-linux)";
  const floor = spec.client === "floor" ? buildFloorClient() : spec.client === "bun-floor" ? BUN_FLOOR : spec.client === "bun-pipeline" ? BUN_PIPELINE : null;
  if (typeof floor === "string") return floor;
  // Pinned, this process (its thread sampler, its pipes) stays off the client's CPU too.
  const ownCpus = spec.pin ? setOwnCpus("0") : null;
  const mock = await startScaleSimulator(spec);
  const dir = tempDir("scale-wire");
  try {
    // Pinned, the capture runs on the server's CPU, so the client's CPU is the client's alone, as without a capture:
    // with tcpdump free to run on CPU 1, vbench read +3.4..+5.7 ms mean TTFT at 4096 streams against +2.0..+2.5 with
    // it on CPU 0 (three interleaved pairs). Its timestamps are the kernel's, taken as each packet passes: where
    // tcpdump itself runs does not move them.
    const capture = await startWireCapture(Number(new URL(mock.url).port), join(dir, "wire.pcap"), { bufferKiB: AT_SCALE_BUFFER_KIB, cpus: spec.pin ? "0" : undefined });
    if (typeof capture === "string") return capture;
    const load = machineLoad();
    const stealBefore = stealMsPerCpu();
    const started = performance.now();
    const run = await (floor ? runFloorClient(spec, floor, mock.url, dir) : runVbench(spec, mock.url, dir)).catch(async (error: unknown) => {
      await capture.abort(); // no tcpdump left running after a client that failed
      throw error;
    });
    const steal = { perCpuMs: stealSincePerCpu(stealBefore), overS: (performance.now() - started) / 1000 };
    const seen = { retransmissions: 0 };
    const wire = await capture.stop(seen);
    const records = run.lines.map(scaleRecordFromLine);
    const comparison = compareAtScale(records, wire);
    const sent = Float64Array.from(records, (r) => r.sentAtMs).sort();
    const wave = Math.min(spec.streams, sent.length) - 1;
    const simulator = `simulator: ${spec.pin ? "taskset -c 0 " : ""}vbench mock --ttft-ms ${spec.ttftMs} --itl-ms ${spec.itlMs} --tokens-per-chunk ${spec.tokensPerMessage}; capture: ${spec.pin ? "taskset -c 0 " : ""}tcpdump -i lo -B ${AT_SCALE_BUFFER_KIB} -s 0 tcp port $PORT`;
    const { lines, ...own } = run;
    return {
      ...own,
      spec,
      comparison,
      requests: lines.length,
      retransmissions: seen.retransmissions,
      firstWaveSendSpanMs: wave >= 0 ? sent[wave]! - sent[0]! : NaN,
      command: `${run.command}; ${simulator}`,
      load,
      steal,
      kept: spec.keep ? dir : null,
      round: 1,
    };
  } finally {
    await mock.stop();
    if (ownCpus) setOwnCpus(ownCpus);
    if (!spec.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Move every thread of this process to `cpus` (a taskset list); returns the list it had. */
function setOwnCpus(cpus: string): string {
  const had = /list:\s*(\S+)/.exec(Bun.spawnSync(["taskset", "-p", "-c", String(process.pid)]).stdout.toString())?.[1] ?? `0-${navigator.hardwareConcurrency - 1}`;
  Bun.spawnSync(["taskset", "-a", "-p", "-c", cpus, String(process.pid)], { stdout: "ignore" });
  return had;
}

/** What one client's run left behind: its records (requests.jsonl lines) and what it says of itself. */
type ClientRun = Pick<ScaleResult, "failed" | "client" | "floorProbeMs" | "clientCpuS" | "processCpuS" | "involuntarySwitches" | "threadCpu" | "workers" | "command"> & { lines: string[] };

/** The simulator of the issue-17 run (pinned to CPU 0 with --pin). */
export function startScaleSimulator(spec: ScaleSpec): Promise<SpawnedMock> {
  const server = spec.pin ? ["taskset", "-c", "0", BINARY] : [BINARY];
  return spawnMockProcess(server, { ttftMs: spec.ttftMs, itlMs: spec.itlMs, tokensPerChunk: spec.tokensPerMessage, exactPromptTokens: false });
}

/** vbench's scenario for the issue-17 run: max_concurrency N, 2N prompts at rate inf (or steady, `--steady`) after N warm-ups. */
export function scaleScenario(spec: ScaleSpec): Record<string, unknown> {
  return {
    backend: "openai",
    dataset_type: "random",
    random_input_len: spec.inputTokens,
    random_output_len: spec.outputTokens,
    max_concurrency: spec.streams,
    num_prompts: spec.prompts,
    ...(spec.rate === null ? { request_rate: "inf" } : { request_rate: spec.rate, burstiness: "inf" }),
    warmups: spec.warmups,
    tokenizer: "gpt2",
  };
}

async function runVbench(spec: ScaleSpec, baseUrl: string, dir: string): Promise<ClientRun> {
  const scenario = scaleScenario(spec);
  const config = await writeScenario(dir, scenario);
  const out = join(dir, "out");
  const binary = spec.client === "other" ? spec.otherBinary! : BINARY;
  const client = [...(spec.pin ? ["taskset", "-c", "1"] : []), binary, "run", "--config", config, "--base-url", baseUrl, "--output-dir", out];
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  if (spec.workers !== null) env.VBENCH_WORKERS = String(spec.workers);
  const proc = Bun.spawn(client, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
  const threads = sampleThreads(proc.pid);
  const [, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const threadCpu = threads.stop();
  if (code !== 0) throw new Error(`vbench exited ${code}: ${stderr.slice(-2000)}`);
  const doc = readResults(out);
  const usage = proc.resourceUsage();
  return {
    lines: readFileSync(findFile(out, "requests.jsonl"), "utf8").split("\n").filter(Boolean),
    failed: doc.failed as number,
    client: doc.vbench.client,
    floorProbeMs: null,
    clientCpuS: doc.vbench.client.client_cpu_s,
    processCpuS: usage ? Number(usage.cpuTime.total) / 1e6 : NaN,
    involuntarySwitches: usage ? usage.contextSwitches.involuntary : NaN,
    threadCpu,
    workers: spec.workers === null ? null : workerEvidence(doc, out, spec.workers, threadCpu),
    command:
      `${spec.pin ? "taskset -c 1 " : ""}${spec.client === "other" ? binary : "dist/vbench"} run --config scenario.json --base-url $SIM --output-dir out` +
      `${spec.workers !== null ? ` (VBENCH_WORKERS=${spec.workers})` : ""}  # scenario.json: ${JSON.stringify(scenario)}`,
  };
}

/** The Bun floor client's command (bench/floor-client.ts). */
export const BUN_FLOOR = [process.execPath, join(REPO, "bench/floor-client.ts")];
/** vbench's per-request path on the Bun floor's loop, its steady releases timed by vbench's release clock. */
export const BUN_PIPELINE = [...BUN_FLOOR, "--pipeline", "--release-clock"];
/** Each floor client as a command line names it. */
const FLOOR_COMMAND = { floor: "floor-client", "bun-floor": "bun bench/floor-client.ts", "bun-pipeline": "bun bench/floor-client.ts --pipeline --release-clock" } as const;

/** Compiles bench/floor-client.c (once per source change) and returns its command, or why it cannot. */
export function buildFloorClient(): string[] | string {
  return buildCHelper("floor-client", "--client floor");
}

/** The body vbench's openai backend sends for a random prompt, with a fixed prompt of the same length in words. */
export function floorBody(spec: ScaleSpec) {
  const prompt = Array.from({ length: spec.inputTokens }, (_, i) => ["the", "cat", "sat", "on", "a", "mat"][i % 6]).join(" ");
  return { model: "vbench-mock", prompt, max_tokens: spec.outputTokens, ignore_eos: true, stream: true, stream_options: { include_usage: true } };
}

/** The same closed loop run by bench/floor-client.c (the machine's floor) or floor-client.ts (the runtime's). */
async function runFloorClient(spec: ScaleSpec, command: string[], baseUrl: string, dir: string): Promise<ClientRun> {
  if (spec.warmups !== spec.streams) throw new Error("--client floor warms up one request per stream (--warmups must equal --streams)");
  const body = floorBody(spec);
  const bodyPath = join(dir, "body.json");
  await Bun.write(bodyPath, JSON.stringify(body));
  const records = join(dir, "floor.jsonl");
  const port = new URL(baseUrl).port;
  const argv = [...command, port, String(spec.streams), String(spec.prompts), bodyPath, records, ...(spec.rate === null ? [] : [String(spec.rate)])];
  const proc = Bun.spawn([...(spec.pin ? ["taskset", "-c", "1"] : []), ...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`floor-client exited ${code}: ${stderr.slice(-2000)}`);
  const said = JSON.parse(stdout) as { cpu_s: number; involuntary_switches: number | null; probe_late_ms: number[] };
  const usage = proc.resourceUsage();
  return {
    lines: readFileSync(records, "utf8").split("\n").filter(Boolean),
    failed: 0,
    client: null,
    floorProbeMs: dist(said.probe_late_ms),
    clientCpuS: said.cpu_s,
    processCpuS: usage ? Number(usage.cpuTime.total) / 1e6 : NaN,
    involuntarySwitches: said.involuntary_switches ?? (usage ? usage.contextSwitches.involuntary : NaN),
    threadCpu: [],
    workers: null,
    command: `${spec.pin ? "taskset -c 1 " : ""}${FLOOR_COMMAND[spec.client as keyof typeof FLOOR_COMMAND]} $PORT ${spec.streams} ${spec.prompts} body.json out.jsonl${spec.rate === null ? "" : ` ${spec.rate}`}  # ${spec.client === "floor" ? "cc -O2 bench/floor-client.c; " : ""}body.json: ${JSON.stringify({ ...body, prompt: `(${spec.inputTokens} words)` })}`,
  };
}

export async function benchScaleWire(args = benchArgs()): Promise<(ScaleResult | string)[]> {
  const pins = args.has("both") ? [false, true] : [args.has("pin")];
  const clients: ScaleSpec["client"][] = [...(args.has("vs-floor") ? CLIENTS : [(args.get("client") ?? "vbench") as ScaleSpec["client"]]), ...(args.has("vs-binary") ? (["other"] as const) : [])];
  const rounds = Number(args.get("rounds") ?? 1);
  const results: (ScaleResult | string)[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const [pin, client] of pins.flatMap((p) => clients.map((c) => [p, c] as const))) {
      const spec = scaleSpec(args, pin, client);
      const workers = spec.workers !== null ? `, VBENCH_WORKERS=${spec.workers}` : "";
      const who = client === "vbench" ? `vbench${workers}` : client === "other" ? `vbench at ${spec.otherBinary}${workers}` : `floor client (${client === "floor" ? "bench/floor-client.c" : FLOOR_COMMAND[client].slice("bun ".length)})`;
      const title = `scale vs wire: ${who}, ${spec.streams} streams, ${spec.tokensPerMessage} tokens/message, ${pin ? "pinned (server CPU 0, client CPU 1)" : "unpinned"}${rounds > 1 ? `, round ${round} of ${rounds}` : ""}`;
      const r = await runScaleWire(spec);
      if (typeof r !== "string") r.round = round;
      results.push(r);
      if (typeof r === "string") {
        console.log(`\n## ${title}\n  skipped: ${r}`);
        // No capture means nothing can be measured; a floor client that cannot run leaves vbench's runs.
        if (client === "vbench") return results;
        continue;
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
  const [c1, c2] = [r.clientCpuS, other.clientCpuS];
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
