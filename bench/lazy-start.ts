/**
 * Requests built as they are needed (src/engine/request-producer.ts), measured
 * through the compiled binary against the simulator's defaults (50 ms to the
 * first token, 10 ms per token):
 *
 *  (a) a time-bound run: DURATION=3 at rate inf, max_concurrency 4,
 *      1024-token prompts, 128-token answers: wall time of the whole command
 *      (the initial test request, 3 s of dispatching, the drain), peak RSS,
 *      and how many request bodies were built for how many sent;
 *  (b) num_prompts 1e9 with max_concurrency 4, interrupted with SIGINT 3 s
 *      into the measured run: exit code, peak RSS (VmHWM sampled every 50 ms).
 *
 *   npx bun bench/lazy-start.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, findFile, machineLoad, REPO, report, requireBinary, runBinary, startSimulator, tempDir, writeScenario } from "./_lib.ts";

function builtLine(out: string): string {
  const log = readFileSync(join(out, readdirSync(out).find((f) => f.startsWith("vllm_benchmark_main_"))!), "utf8");
  return /request bodies built: .*/.exec(log)?.[0] ?? "(no 'request bodies built' line)";
}

async function timeBound(simUrl: string): Promise<void> {
  const dir = tempDir("lazy-tb");
  const scenario = { random_input_len: 1024, random_output_len: 128, max_concurrency: 4 };
  const config = await writeScenario(dir, scenario);
  const load = machineLoad();
  const run = await runBinary(["run", "--config", config, "--base-url", simUrl, "--output-dir", `${dir}/out`], { measureRss: true, env: { DURATION: "3" } });
  if (run.code !== 0) throw new Error(`vbench exited ${run.code}: ${run.stderr.slice(-2000)}`);
  const doc = JSON.parse(readFileSync(findFile(`${dir}/out`, "benchmark_results.json"), "utf8"));
  report(
    "time-bound start: DURATION=3, rate inf, max_concurrency 4, 1024-token prompts",
    [`wall ${(run.wallMs / 1000).toFixed(2)} s for the whole command, peak RSS ${((run.peakRssKiB ?? NaN) / 1024).toFixed(0)} MiB; ${doc.completed} completed; ${builtLine(`${dir}/out`)}`],
    `DURATION=3 ${run.command.replace(config, "scenario.json").replace(simUrl, "$SIM").replace(`${dir}/out`, "out")}  # scenario.json: ${JSON.stringify(scenario)}; simulator: vbench mock`,
    load,
  );
}

function vmHwmKiB(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function interruptedBillion(simUrl: string): Promise<void> {
  const dir = tempDir("lazy-1e9");
  const scenario = { num_prompts: 1_000_000_000, max_concurrency: 4, random_input_len: 1024, random_output_len: 128 };
  const config = await writeScenario(dir, scenario);
  const load = machineLoad();
  const proc = Bun.spawn([BINARY, "run", "--config", config, "--base-url", simUrl, "--output-dir", `${dir}/out`], { cwd: REPO, stdout: "ignore", stderr: "pipe", stdin: "ignore" });
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(chunk);
  })();
  let peakKiB = 0;
  const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, vmHwmKiB(proc.pid))), 50);
  const started = performance.now();
  while (!stderr.includes("Starting main benchmark run") && performance.now() - started < 120_000) await Bun.sleep(20);
  const runStartS = (performance.now() - started) / 1000;
  await Bun.sleep(3000);
  proc.kill("SIGINT");
  const code = await proc.exited;
  clearInterval(sampler);
  await reading;
  const completed = JSON.parse(readFileSync(findFile(`${dir}/out`, "benchmark_results.json"), "utf8")).completed;
  report(
    "num_prompts 1e9, max_concurrency 4, SIGINT 3 s into the run",
    [`measured run started ${runStartS.toFixed(2)} s after launch; exit ${code}; ${completed} completed and written; peak RSS ${(peakKiB / 1024).toFixed(0)} MiB (VmHWM)`],
    `${BINARY.replace(`${REPO}/`, "")} run --config scenario.json --base-url $SIM --output-dir out, then kill -INT  # scenario.json: ${JSON.stringify(scenario)}; simulator: vbench mock`,
    load,
  );
}

if (import.meta.main) {
  requireBinary();
  const sim = await startSimulator({});
  try {
    await timeBound(sim.url);
    await interruptedBillion(sim.url);
  } finally {
    await sim.stop();
  }
}
