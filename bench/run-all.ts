/**
 * `npm run bench`: every figure of docs/performance.md and the compare rates of docs/analysis.md, the compiled binary
 * against the simulator in separate processes. Takes about 10–12 minutes on 2
 * cores (the 1,000,000-request run is most of it).
 *
 *   npm run bench [-- --skip-1m] [-- --quick] [-- --skip-compare]
 *   npx bun bench/run-all.ts --skip-1m
 *
 * --skip-1m       leave out the 1,000,000-request memory run
 * --quick         fewer points: accuracy at 16 and 1024 streams (steady only), schedule at 1000 req/s, 100,000 requests for memory,
 *                 3 rounds of compare-noise instead of 10
 * --skip-compare  leave out compare-noise.ts (`compare` on A/A pairs and on a 30% TTFT change; 3–4 minutes for 10 rounds)
 * --skip-scale-wire  leave out scale-wire.ts (1024 streams against a tcpdump capture, unpinned then pinned, vbench and
 *                 the three floor clients: C, Bun, Bun with vbench's pipeline; about 110 s; skipped with a message
 *                 when tcpdump cannot capture)
 * (preemption.ts, who takes the read loop's CPU under perf sched, ~15 s, always runs; skipped without perf)
 * The schedule at 1000 req/s runs a second time beside bench/floor.ts (the machine's own wake-up lag).
 * Each part also runs alone: bench/startup.ts, http-stacks.ts, client-cpu.ts, accuracy.ts, schedule.ts, memory.ts,
 * sse-framer.ts, prompt-build.ts, gc-cost.ts, floor.ts, summarize.ts, compare-noise.ts, scale-wire.ts, timer-wake.ts, release-wake.ts, read-split.ts. VBENCH_BINARY=path measures
 * another build.
 */
import { BINARY, benchArgs, machineLoad, REPO } from "./_lib.ts";
import { benchStartup } from "./startup.ts";
import { benchHttpStacks } from "./http-stacks.ts";
import { benchAccuracy } from "./accuracy.ts";
import { benchSchedule } from "./schedule.ts";
import { benchMemory } from "./memory.ts";
import { benchClientCpu } from "./client-cpu.ts";
import { benchCompareNoise } from "./compare-noise.ts";
import { benchScaleWire } from "./scale-wire.ts";
import { benchPreemption } from "./preemption.ts";

const args = benchArgs();
const quick = args.has("quick");
const started = performance.now();
const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: REPO, stdout: "pipe", stderr: "ignore" }).stdout.toString().trim() || "unknown";
const version = Bun.spawnSync([BINARY, "--version"], { stdout: "pipe", stderr: "ignore" }).stdout.toString().trim();
console.log(`# vbench bench: ${version} (${BINARY}, commit ${commit}), ${new Date().toISOString()}`);
console.log(`# machine at start: ${machineLoad()}`);

function microBench(script: string): void {
  const out = Bun.spawnSync([process.execPath, `${REPO}/bench/${script}`], { cwd: REPO, stdout: "pipe", stderr: "inherit" });
  console.log(`\n## ${script} (in-process micro-benchmark)`);
  for (const line of out.stdout.toString().trim().split("\n")) console.log(`  ${line}`);
  console.log(`  command: npx bun bench/${script}`);
  console.log(`  machine: ${machineLoad()}`);
}

/** A script that prints its own report, in a fresh process (its heap must not carry the other parts' garbage). */
function ownProcess(script: string): void {
  const out = Bun.spawnSync([process.execPath, `${REPO}/bench/${script}`], { cwd: REPO, stdout: "pipe", stderr: "inherit" });
  process.stdout.write(out.stdout.toString());
}

benchStartup(new Map([["runs", "20"]]));
await benchHttpStacks(new Map());
benchClientCpu(new Map());
microBench("sse-framer.ts");
microBench("prompt-build.ts");
ownProcess("gc-cost.ts");
await benchAccuracy(quick ? new Map([["streams", "16,1024"], ["modes", "steady"]]) : new Map());
await benchSchedule(quick ? new Map([["rates", "1000"]]) : new Map());
// Once more at 1000 req/s with the machine's own wake-up lag measured beside it (bench/floor.ts).
await benchSchedule(new Map([["rates", "1000"], ["floor", "true"]]));
if (!args.has("skip-scale-wire")) await benchScaleWire(new Map([["both", "true"], ["vs-floor", "true"]]));
// The machine's and the runtime's own timer floor under the event-loop probe (~45 s).
ownProcess("timer-wake.ts");
// What a release wake costs vbench's clock and the thread it wakes, against the same hop in C (~15 s).
ownProcess("release-wake.ts");
// A read's CPU in a pinned 1024-stream run: vbench's read callbacks and the rest, against the bare Bun client's (~40 s).
ownProcess("read-split.ts");
{
  const skipped = await benchPreemption(new Map());
  if (skipped) console.log(`\n## preemption of the main thread: skipped (${skipped})`);
}
if (!args.has("skip-1m")) await benchMemory(new Map([["requests", quick ? "100000" : "1000000"]]));
microBench("summarize.ts");
if (!args.has("skip-compare")) await benchCompareNoise(new Map([["pairs", quick ? "3" : "10"]]));
console.log(`\n# done in ${((performance.now() - started) / 1000).toFixed(0)} s; machine at end: ${machineLoad()}`);
