/**
 * Schedule fidelity: does the dispatcher release requests when the Poisson
 * schedule says? The compiled binary against the simulator (separate
 * processes), short requests so the server is never the limit; figures from
 * benchmark_results.json's `vbench.client`: achieved rate (requests
 * dispatched / last dispatch time, exactly the configured rate for a perfect
 * dispatcher since the schedule is normalised to end at N/r) and dispatch lag
 * (dispatch time − scheduled time) percentiles.
 *
 *   npx bun bench/schedule.ts [--rates 100,1000,5000] [--seconds 10]
 */
import { benchArgs, machineLoad, numberList, readResults, report, runBinary, signed, startSimulator, tempDir, writeScenario } from "./_lib.ts";

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
  command: string;
  load: string;
}

export async function scheduleFidelity(rateRps: number, seconds: number): Promise<ScheduleFigure> {
  // 2 output tokens 1 ms apart after a 1 ms first token: each request lives a few ms.
  const mock = await startSimulator({ ttftMs: 1, itlMs: 1 });
  try {
    const dir = tempDir("schedule");
    const requests = Math.round(rateRps * seconds);
    const scenario = { backend: "openai", random_input_len: 16, random_output_len: 2, num_prompts: requests, request_rate: rateRps, burstiness: 1, warmups: 64 };
    const config = await writeScenario(dir, scenario);
    const load = machineLoad();
    const run = await runBinary(["run", "--config", config, "--base-url", mock.url, "--output-dir", `${dir}/out`]);
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
  ];
}

export async function benchSchedule(args = benchArgs()): Promise<ScheduleFigure[]> {
  const rates = numberList(args.get("rates"), [100, 1000, 5000]);
  const seconds = Number(args.get("seconds") ?? 10);
  const out: ScheduleFigure[] = [];
  for (const rate of rates) {
    const f = await scheduleFidelity(rate, seconds);
    out.push(f);
    report(`schedule fidelity at ${rate} req/s`, formatSchedule(f), f.command, f.load);
  }
  return out;
}

if (import.meta.main) await benchSchedule();
