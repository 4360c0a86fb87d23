/**
 * Schedule fidelity: does the dispatcher release requests when the Poisson
 * schedule says? The compiled binary against the simulator (separate
 * processes), short requests so the server is never the limit; figures from
 * benchmark_results.json's `vbench.client`: achieved rate (requests
 * dispatched / last dispatch time, exactly the configured rate for a perfect
 * dispatcher since the schedule is normalised to end at N/r) and dispatch lag
 * (dispatch time − scheduled time) percentiles.
 *
 * With --floor, bench/floor.ts runs beside each run in its own process: two
 * threads that only sleep until each release of the same rate and note how
 * late they woke. Its p99 is the machine's floor at that moment (what the
 * kernel gave any thread of normal priority); how far vbench's p99 lies
 * above it is vbench's own cost (vbench wakes early and spins, so it can
 * also lie a little below). It costs little CPU, but it is one more
 * process: the figures without --floor are the ones to quote for vbench
 * alone.
 *
 *   npx bun bench/schedule.ts [--rates 100,1000,5000] [--seconds 10] [--floor]
 */
import { join } from "node:path";
import { benchArgs, machineLoad, numberList, readResults, report, REPO, runBinary, signed, startSimulator, tempDir, writeScenario } from "./_lib.ts";
import type { FloorFigure } from "./floor.ts";

export interface ScheduleFigure {
  rateRps: number;
  requests: number;
  achievedRps: number | null;
  dispatchLagMs: { p50: number; p99: number; max: number };
  sendLagP99Ms: number;
  loopLagP99Ms: number;
  clientCpuS: number;
  failed: number;
  clientBound: boolean;
  /** bench/floor.ts at the same time (--floor), null when not asked for. */
  floor: FloorFigure | null;
  command: string;
  load: string;
}

/** The vbench run's start-up and warm-ups come first: the floor starts a second in and ends before the run's schedule does. */
const FLOOR_DELAY_MS = 1000;

async function floorBeside(rateRps: number, seconds: number): Promise<FloorFigure> {
  await Bun.sleep(FLOOR_DELAY_MS);
  const proc = Bun.spawn([process.execPath, join(REPO, "bench/floor.ts"), "--rate", String(rateRps), "--seconds", String(Math.max(1, seconds - 2)), "--threads", "2"], { stdout: "pipe", stderr: "inherit" });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`bench/floor.ts exited ${code}`);
  return JSON.parse(text) as FloorFigure;
}

export async function scheduleFidelity(rateRps: number, seconds: number, withFloor = false): Promise<ScheduleFigure> {
  // 2 output tokens 1 ms apart after a 1 ms first token: each request lives a few ms.
  const mock = await startSimulator({ ttftMs: 1, itlMs: 1 });
  try {
    const dir = tempDir("schedule");
    const requests = Math.round(rateRps * seconds);
    const scenario = { backend: "openai", random_input_len: 16, random_output_len: 2, num_prompts: requests, request_rate: rateRps, burstiness: 1, warmups: 64 };
    const config = await writeScenario(dir, scenario);
    const load = machineLoad();
    const [run, floor] = await Promise.all([runBinary(["run", "--config", config, "--base-url", mock.url, "--output-dir", `${dir}/out`]), withFloor ? floorBeside(rateRps, seconds) : null]);
    if (run.code !== 0) throw new Error(`vbench exited ${run.code}: ${run.stderr.slice(-2000)}`);
    const doc = readResults(`${dir}/out`);
    const c = doc.vbench.client;
    return {
      rateRps,
      requests,
      achievedRps: c.achieved_rate_rps,
      dispatchLagMs: { p50: c.dispatch_lag_ms.percentiles.p50!, p99: c.dispatch_lag_ms.percentiles.p99!, max: c.dispatch_lag_ms.max },
      sendLagP99Ms: c.send_lag_ms.percentiles.p99!,
      loopLagP99Ms: c.event_loop_lag_ms.p99,
      clientCpuS: c.client_cpu_s,
      failed: doc.failed as number,
      clientBound: c.client_bound,
      floor,
      command: `${run.command.replace(config, "scenario.json").replace(mock.url, "$SIM").replace(`${dir}/out`, "out")}  # scenario.json: ${JSON.stringify(scenario)}; simulator: vbench mock --ttft-ms 1 --itl-ms 1`,
      load,
    };
  } finally {
    await mock.stop();
  }
}

export function formatSchedule(f: ScheduleFigure): string[] {
  const ratio = f.achievedRps === null ? NaN : f.achievedRps / f.rateRps;
  return [
    `${f.rateRps} req/s Poisson, ${f.requests} requests (${f.failed} failed): achieved ${f.achievedRps?.toFixed(2) ?? "-"} req/s = ${(ratio * 100).toFixed(2)}% of configured (${signed((ratio - 1) * 100)}%)`,
    `  dispatch lag p50 ${f.dispatchLagMs.p50.toFixed(3)} ms, p99 ${f.dispatchLagMs.p99.toFixed(3)} ms, max ${f.dispatchLagMs.max.toFixed(2)} ms; send lag p99 ${f.sendLagP99Ms.toFixed(3)} ms; event-loop lag p99 ${f.loopLagP99Ms.toFixed(2)} ms; client CPU ${f.clientCpuS.toFixed(2)} s${f.clientBound ? "; flagged client-bound" : ""}`,
    ...(f.floor ? [`  machine floor at the same time (bench/floor.ts, 2 threads that only wake on the schedule): wake lag p50 ${f.floor.p50.toFixed(3)} ms, p99 ${f.floor.p99.toFixed(3)} ms, max ${f.floor.max.toFixed(2)} ms`] : []),
  ];
}

export async function benchSchedule(args = benchArgs()): Promise<ScheduleFigure[]> {
  const rates = numberList(args.get("rates"), [100, 1000, 5000]);
  const seconds = Number(args.get("seconds") ?? 10);
  const out: ScheduleFigure[] = [];
  for (const rate of rates) {
    const f = await scheduleFidelity(rate, seconds, args.has("floor"));
    out.push(f);
    report(`schedule fidelity at ${rate} req/s${f.floor ? ", beside the machine floor" : ""}`, formatSchedule(f), f.command, f.load);
  }
  return out;
}

if (import.meta.main) await benchSchedule();
