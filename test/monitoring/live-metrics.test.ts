/**
 * The live /metrics endpoint: a LiveRun fed with the records of a real run
 * (the compiled binary against the simulator, records decoded from its
 * raw.msgpack) as the load generator would feed them, scraped over HTTP at
 * several points and checked with the real `promtool check metrics`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { decodeRaw } from "../../src/results/raw-records.ts";
import { isVbenchError } from "../../src/base/errors.ts";
import { LiveRun } from "../../src/monitoring/live-state.ts";
import { LiveAggregator, LIVE_WINDOW_S, renderLiveMetrics } from "../../src/monitoring/live-render.ts";
import { startLiveMetricsServer, type LiveMetricsServer } from "../../src/monitoring/live-metrics.ts";
import { startMock, tempDir, vbench, writeConfig } from "../helpers/vbench.ts";
import { parseFault } from "../../src/mock/faults.ts";
import { requireBinary } from "./servers.ts";

export function promtoolCheck(text: string): { exitCode: number; output: string } {
  const promtool = requireBinary("promtool", "prometheus");
  const p = Bun.spawnSync([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  return { exitCode: p.exitCode, output: p.stdout.toString() + p.stderr.toString() };
}

/** `name{labels} value` lines → value of the first sample whose name and label text match. */
function sample(text: string, name: string, labelPart = ""): number {
  const line = text.split("\n").find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labelPart));
  if (!line) throw new Error(`no sample ${name} ${labelPart} in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("live metrics server", () => {
  let result: ScenarioResult;
  let server: LiveMetricsServer;
  const live = new LiveRun();

  beforeAll(async () => {
    const mock = await startMock({ ttftMs: 5, itlMs: 2, faults: [parseFault("status=500@at:4")] });
    try {
      const dir = tempDir();
      // One request fails on purpose; the success_rate threshold tolerates it (without one the run would exit 4).
      const config = await writeConfig(dir, [{ name: "live", num_prompts: 16, max_concurrency: 4, random_input_len: 16, random_output_len: 6, thresholds: { success_rate: 0.9 } }]);
      const run = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir, "--export", "msgpack"]);
      if (run.code !== 0) throw new Error(`vbench run failed (${run.code}):\n${run.stderr}`);
      const raw = (readdirSync(dir, { recursive: true }) as string[]).find((f) => f.endsWith("raw.msgpack"))!;
      result = decodeRaw(new Uint8Array(readFileSync(join(dir, raw))));
    } finally {
      await mock.stop();
    }
    server = await startLiveMetricsServer(0, live.snapshot, { hostname: "127.0.0.1" });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    return response.text();
  };

  test("before any scenario: running 0, valid exposition", async () => {
    const text = await scrape();
    expect(text).toContain("vbench_live_scenario_running 0\n");
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
  });

  test("mid-run and at the end: counters, in-flight and summaries match the records; promtool accepts every scrape", async () => {
    const records = [...result.records].sort((a, b) => a.doneAtMs - b.doneAtMs);
    const s = result.scenario;
    live.begin({ runId: result.run.runId, scenario: s.name, variant: "c4", model: s.model, backend: s.backend });
    const base = `scenario="${s.name}",variant="c4",model="${s.model}",backend="${s.backend}"`;
    const half = records.length / 2;
    for (let i = 0; i < half + 4; i++) live.onDispatch();
    for (const r of records.slice(0, half)) live.onRecord(r);

    const mid = await scrape();
    expect(promtoolCheck(mid)).toEqual({ exitCode: 0, output: "" });
    expect(sample(mid, "vbench_live_scenario_running", base)).toBe(1);
    expect(sample(mid, "vbench_live_requests_in_flight", base)).toBe(4);
    const doneMid = records.slice(0, half);
    expect(sample(mid, "vbench_live_requests_completed_total", base)).toBe(doneMid.filter((r) => r.success).length);
    expect(sample(mid, "vbench_live_requests_failed_total", base)).toBe(doneMid.filter((r) => !r.success).length);
    expect(sample(mid, "vbench_live_ttft_seconds_count", base)).toBe(doneMid.filter((r) => r.success).length);
    expect(mid).toContain(`vbench_live_info{${base},run_id="${result.run.runId}"} 1`);

    for (let i = half + 4; i < records.length; i++) live.onDispatch();
    for (const r of records.slice(half)) live.onRecord(r);
    live.end();
    const end = await scrape();
    expect(promtoolCheck(end)).toEqual({ exitCode: 0, output: "" });
    expect(sample(end, "vbench_live_scenario_running", base)).toBe(0);
    expect(sample(end, "vbench_live_requests_in_flight", base)).toBe(0);
    expect(sample(end, "vbench_live_requests_completed_total", base)).toBe(result.summary.completed);
    expect(sample(end, "vbench_live_requests_failed_total", base)).toBe(result.summary.failed);
    expect(result.summary.failed).toBe(1);
    expect(sample(end, "vbench_live_output_tokens_total", base)).toBe(result.summary.totalOutputTokens);
    // Folded in over two scrapes, the final summaries equal the run's own statistics (same exact method).
    for (const m of ["ttft", "tpot", "itl", "e2el"] as const) {
      const st = result.summary.metrics[m]!;
      expect(sample(end, `vbench_live_${m}_seconds_count`, base)).toBe(st.count);
      expect(sample(end, `vbench_live_${m}_seconds_sum`, base)).toBeCloseTo((st.mean * st.count) / 1000, 9);
      for (const q of [50, 90, 95, 99]) expect(sample(end, `vbench_live_${m}_seconds`, `quantile="${q / 100}"`)).toBeCloseTo(st.percentiles[`p${q}`]! / 1000, 12);
    }
  });

  test("the throughput gauges count requests finished in the last window", () => {
    const s = result.scenario;
    const run = new LiveRun();
    run.begin({ runId: "r", scenario: s.name, variant: "", model: s.model, backend: s.backend }, 0);
    const records = [...result.records].sort((a, b) => a.doneAtMs - b.doneAtMs);
    for (const r of records) run.onRecord(r);
    const lastMs = records[records.length - 1]!.doneAtMs;
    // Shortly after the last finish (a run shorter than the window): everything over the elapsed time.
    const early = renderLiveMetrics(run.snapshot(), new LiveAggregator(), lastMs + 1);
    expect(sample(early, "vbench_live_output_throughput_tokens_per_second")).toBeCloseTo(result.summary.totalOutputTokens / ((lastMs + 1) / 1000), 6);
    // A full window later, nothing finished recently.
    const later = renderLiveMetrics(run.snapshot(), new LiveAggregator(), lastMs + LIVE_WINDOW_S * 1000 + 1);
    expect(sample(later, "vbench_live_output_throughput_tokens_per_second")).toBe(0);
    expect(sample(later, "vbench_live_request_throughput_requests_per_second")).toBe(0);
  });

  test("startClock() drops what came before the measured run (initial test request, warmups) and re-bases the clock", () => {
    const run = new LiveRun();
    run.begin({ runId: "r", scenario: "s", variant: "", model: "m", backend: "b" }, 0);
    run.onDispatch();
    run.onRecord(result.records[0]!);
    run.startClock(1234);
    const s = run.snapshot()!;
    expect([s.t0Ms, s.dispatched, s.completed, s.failed, s.outputTokens, s.records.length]).toEqual([1234, 0, 0, 0, 0, 0]);
  });

  test("a new scenario starts from zero; other paths are 404; a taken port is a preflight error", async () => {
    live.begin({ runId: result.run.runId, scenario: "next", variant: "", model: "m", backend: "openai" });
    const text = await scrape();
    expect(sample(text, "vbench_live_ttft_seconds_count", 'scenario="next"')).toBe(0);
    expect(sample(text, "vbench_live_ttft_seconds", 'quantile="0.5"')).toBeNaN();
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    try {
      await startLiveMetricsServer(server.port, live.snapshot, { hostname: "127.0.0.1" });
      throw new Error("expected the second server to fail");
    } catch (e) {
      expect(isVbenchError(e) && e.exitCode).toBe(3);
      expect((e as Error).message).toContain(`127.0.0.1:${server.port}`);
    }
  });
});
