/**
 * Where a read's CPU goes inside a run: the client's own JavaScript in its
 * read callbacks against everything else (the runtime's socket path, the
 * kernel, collections, other threads), for vbench and for the bare Bun
 * client (bench/floor-client.ts), each pinned to CPU 1 against the simulator
 * on CPU 0, no capture. vbench's callbacks are timed by its stall trace
 * (VBENCH_STALL_TRACE, src/engine/stall-trace.ts), the Bun client's by
 * --time-reads; both take a clock reading before and after each callback.
 *
 *   npx bun bench/read-split.ts [--rounds 2] [--streams 1024] [--tokens-per-message 4]
 *
 * Prints, per client and round, µs a read in the callbacks, client CPU µs a
 * read, and the rest; then the ranges.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, benchArgs, machineLoad, readResults, report, requireBinary, tempDir, writeScenario } from "./_lib.ts";
import { BUN_FLOOR, floorBody, scaleScenario, scaleSpec, startScaleSimulator } from "./scale-wire.ts";

interface Split {
  reads: number;
  callbackUs: number;
  cpuUs: number;
}

const args = benchArgs();
const rounds = Number(args.get("rounds") ?? 2);
const spec = scaleSpec(args, true);
requireBinary();
if (!Bun.which("taskset")) throw new Error("needs taskset (util-linux)");

/** vbench's measured run, its read callbacks from the stall trace (rows of the run have start_ms >= 0). */
async function vbenchSplit(baseUrl: string): Promise<Split> {
  const dir = tempDir("read-split");
  const trace = join(dir, "trace");
  await Bun.$`mkdir -p ${trace}`;
  const config = await writeScenario(dir, scaleScenario(spec));
  const out = join(dir, "out");
  const proc = Bun.spawn(["taskset", "-c", "1", BINARY, "run", "--config", config, "--base-url", baseUrl, "--output-dir", out], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { ...process.env, VBENCH_STALL_TRACE: trace } });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`vbench exited ${code}: ${stderr.slice(-2000)}`);
  let reads = 0;
  let ms = 0;
  for (const file of readdirSync(trace)) {
    for (const line of readFileSync(join(trace, file), "utf8").split("\n").slice(1)) {
      if (!line) continue;
      const [start, dur] = line.split(",").map(Number) as [number, number];
      if (start < 0) continue;
      reads++;
      ms += dur;
    }
  }
  const cpuS = readResults(out).vbench.client.client_cpu_s;
  return { reads, callbackUs: (1000 * ms) / reads, cpuUs: (1e6 * cpuS) / reads };
}

/** The bare Bun client's measured run with --time-reads. */
async function bunSplit(baseUrl: string): Promise<Split> {
  const dir = tempDir("read-split");
  const bodyPath = join(dir, "body.json");
  await Bun.write(bodyPath, JSON.stringify(floorBody(spec)));
  const port = new URL(baseUrl).port;
  const proc = Bun.spawn(["taskset", "-c", "1", ...BUN_FLOOR, port, String(spec.streams), String(spec.prompts), bodyPath, join(dir, "floor.jsonl"), "--time-reads"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`floor-client exited ${code}: ${stderr.slice(-2000)}`);
  const said = JSON.parse(stdout) as { cpu_s: number; reads: number; read_ms: number };
  return { reads: said.reads, callbackUs: (1000 * said.read_ms) / said.reads, cpuUs: (1e6 * said.cpu_s) / said.reads };
}

const results: Record<string, Split[]> = { vbench: [], "Bun client": [] };
const lines: string[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const [name, run] of [["vbench", vbenchSplit], ["Bun client", bunSplit]] as const) {
    const simulator = await startScaleSimulator(spec);
    try {
      const split = await run(simulator.url);
      results[name]!.push(split);
      lines.push(`round ${round}, ${name}: ${split.reads} reads; ${split.callbackUs.toFixed(2)} µs a read in its read callbacks, ${split.cpuUs.toFixed(2)} µs of client CPU a read, ${(split.cpuUs - split.callbackUs).toFixed(2)} µs outside them`);
    } finally {
      await simulator.stop();
    }
  }
}
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}`;
for (const [name, splits] of Object.entries(results)) {
  lines.push(`${name} (${splits.length} runs): in callbacks ${range(splits.map((s) => s.callbackUs))} µs a read; client CPU ${range(splits.map((s) => s.cpuUs))}; outside the callbacks ${range(splits.map((s) => s.cpuUs - s.callbackUs))}`);
}
report(
  `read split: ${spec.streams} streams, ${spec.tokensPerMessage} tokens a message, pinned (client CPU 1, simulator CPU 0), no capture`,
  lines,
  `npx bun bench/read-split.ts --rounds ${rounds} --streams ${spec.streams} --tokens-per-message ${spec.tokensPerMessage}`,
  machineLoad(),
);
