import { describe, expect, test } from "bun:test";
import { renderPrometheus } from "../../plugins/exporters/prometheus.ts";
import { sampleResult, stats } from "./sample-result.ts";

/** The real promtool; never skipped (the lead's .ci/run installs it). */
function promtoolCheck(text: string): { exitCode: number; output: string } {
  const promtool = Bun.which("promtool");
  if (!promtool) throw new Error("promtool not found: install it with `apt-get update && apt-get install -y prometheus` (Debian)");
  const p = Bun.spawnSync([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  return { exitCode: p.exitCode, output: p.stdout.toString() + p.stderr.toString() };
}

function tricky() {
  const r = sampleResult({ variant: "c8", scenario: { name: 'we"ird\\name\nx', model: "org/model:v1" } });
  r.summary.requestGoodput = null;
  r.summary.extras.achievedRateRps = null;
  r.summary.metrics.itl = stats(0, 0, 0);
  return r;
}

describe("renderPrometheus", () => {
  test("passes promtool check metrics, several scenarios in one file", () => {
    const text = renderPrometheus([sampleResult(), sampleResult({ variant: "c8" }), tricky()]);
    const check = promtoolCheck(text);
    expect(check.output).toBe("");
    expect(check.exitCode).toBe(0);
  });

  test("promtool really lints (a bad family fails), so the check above means something", () => {
    expect(promtoolCheck("# HELP x_total t\n# TYPE x_total gauge\nx_total 1\n").exitCode).not.toBe(0);
  });

  test("each family has one HELP and one TYPE, all names prefixed vbench_, no timestamps", () => {
    const text = renderPrometheus([sampleResult(), sampleResult({ variant: "c8" })]);
    const lines = text.trimEnd().split("\n");
    const helps = lines.filter((l) => l.startsWith("# HELP ")).map((l) => l.split(" ")[2]);
    expect(new Set(helps).size).toBe(helps.length);
    expect(lines.filter((l) => l.startsWith("# TYPE ")).length).toBe(helps.length);
    for (const l of lines.filter((x) => !x.startsWith("#"))) {
      expect(l).toMatch(/^vbench_[a-z0-9_]+(\{.*\})? \S+$/);
    }
    expect(helps).toEqual(expect.arrayContaining([
      "vbench_ttft_seconds", "vbench_tpot_seconds", "vbench_itl_seconds", "vbench_e2el_seconds",
      "vbench_request_throughput_requests_per_second", "vbench_output_throughput_tokens_per_second",
      "vbench_total_token_throughput_tokens_per_second", "vbench_requests", "vbench_duration_seconds", "vbench_threshold_passed",
    ]));
  });

  test("latencies are summaries in seconds with quantile, _sum and _count", () => {
    const r = sampleResult();
    const text = renderPrometheus([r]);
    const base = 'scenario="basic_performance",model="Qwen/Qwen2-0.5B",backend="openai-chat"';
    expect(text).toContain("# TYPE vbench_ttft_seconds summary\n");
    expect(text).toContain(`vbench_ttft_seconds{${base},quantile="0.95"} ${r.summary.metrics.ttft!.percentiles.p95 / 1000}\n`);
    expect(text).toContain(`vbench_ttft_seconds_sum{${base}} ${(r.summary.metrics.ttft!.mean * 4) / 1000}\n`);
    expect(text).toContain(`vbench_ttft_seconds_count{${base}} 4\n`);
    expect(text).toContain(`vbench_requests{${base},result="failed"} 1\n`);
    expect(text).toContain(`vbench_threshold_passed{${base},threshold="success_rate"} 0\n`);
    expect(text).toContain(`vbench_configured_request_rate_requests_per_second{${base}} +Inf\n`);
    expect(text).toContain(`vbench_client_steal_seconds{${base}} 0.04\n`);
  });

  test("label values are escaped; empty series give NaN quantiles; null values are left out", () => {
    const text = renderPrometheus([tricky()]);
    expect(text).toContain('scenario="we\\"ird\\\\name\\nx",variant="c8",model="org/model:v1"');
    expect(text).toMatch(/vbench_itl_seconds\{[^}]*quantile="0.5"\} NaN\n/);
    expect(text).not.toContain("vbench_request_goodput_requests_per_second");
    expect(text).not.toContain("vbench_achieved_request_rate");
    // Where the kernel reports no steal time, no series (not a 0 that says it was measured).
    const noSteal = sampleResult();
    noSteal.summary.extras.stealMs = null;
    expect(renderPrometheus([noSteal])).not.toContain("vbench_client_steal_seconds");
  });

  test("odd percentiles become clean quantile labels", () => {
    const r = sampleResult({ scenario: { percentileMetrics: ["ttft"], metricPercentiles: [99.9] } });
    r.summary.metrics = { ttft: stats(4, 40, 8, [99.9]) };
    const text = renderPrometheus([r]);
    expect(text).toContain('quantile="0.999"');
    expect(text).toContain('quantile="0.5"');
    expect(promtoolCheck(text).exitCode).toBe(0);
  });
});
