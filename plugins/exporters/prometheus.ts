/**
 * prometheus exporter: node_exporter textfile-collector files (Prometheus
 * text format 0.0.4). Base units (seconds), names prefixed `vbench_`, labels
 * scenario/variant/model/backend, latency families as summaries, everything
 * else gauges (these are values of a finished run, not running counters), no
 * timestamps. Must pass `promtool check metrics` (test/exporters). The text
 * itself is written by src/monitoring/prom-text.ts, as the live endpoint's.
 *
 * `renderPrometheus` is also what the Pushgateway exporter pushes, so it is
 * pure and takes any number of results; each family's HELP/TYPE appears once
 * with the samples of every result under it.
 */
import { dirname, join } from "node:path";
import type { MetricName, SummaryExtras } from "../../src/base/summary-types.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { checkWritableDir, writeFileAtomic } from "../../src/base/atomic-write.ts";
import { PromText, summaryOfStats, type Labels } from "../../src/monitoring/prom-text.ts";

export const PROM_FILE = "metrics.prom";

const LATENCY_HELP: Record<MetricName, string> = {
  ttft: "Time to first token of successful requests (vLLM definition), seconds.",
  tpot: "Time per output token excluding the first, per successful request with more than one output token, seconds.",
  itl: "Inter-token latency: gaps between token-bearing stream messages of successful requests, seconds.",
  e2el: "End-to-end latency of successful requests from send to last token, seconds.",
};

function addResult(fam: PromText, result: ScenarioResult): void {
  const { scenario, summary, run } = result;
  const base: Labels = [["scenario", scenario.name]];
  if (run.variant) base.push(["variant", run.variant]);
  base.push(["model", scenario.model], ["backend", scenario.backend]);
  const extras = summary.extras;

  fam.gauge("vbench_run_info", "Run identity; the value is always 1.", [...base, ["run_id", run.runId], ["tool_version", run.toolVersion]], 1);
  fam.gauge("vbench_run_passed", "1 when every threshold passed (the implicit success_rate >= 1 of a run with failed requests included), else 0.", base, result.thresholds.every((v) => v.passed) ? 1 : 0);
  fam.gauge("vbench_run_interrupted", "1 when the run was interrupted and results are partial.", base, run.interrupted ? 1 : 0);
  fam.gauge("vbench_client_bound", "1 when the client's own lag exceeded its bound (results not trustworthy).", base, extras.clientBound ? 1 : 0);
  if (typeof extras.stealMs === "number") {
    fam.gauge("vbench_client_steal_seconds", "Steal time of the client's CPUs during the run: the hypervisor ran something else while they had work, seconds.", base, extras.stealMs / 1000);
  }
  fam.gauge("vbench_duration_seconds", "Benchmark duration from the first dispatch to the last finished request.", base, summary.durationS);
  fam.gauge("vbench_requests", "Requests of the run by outcome.", [...base, ["result", "success"]], summary.completed);
  fam.gauge("vbench_requests", "Requests of the run by outcome.", [...base, ["result", "failed"]], summary.failed);
  for (const [category, n] of Object.entries(summary.failures.byCategory)) {
    fam.gauge("vbench_request_failures", "Failed requests by failure category.", [...base, ["category", category]], n ?? 0);
  }
  fam.gauge("vbench_success_ratio", "Successful requests divided by all requests.", base, summary.total > 0 ? summary.completed / summary.total : 0);
  fam.gauge("vbench_input_tokens", "Total input tokens of successful requests: the prompt lengths vbench built (vLLM's total_input_tokens).", base, summary.totalInputTokens);
  if (extras.serverInputTokens) {
    fam.gauge("vbench_server_input_tokens", "The server's own prompt-token count (usage.prompt_tokens, chat template included) of the successful requests that reported one.", base, extras.serverInputTokens.total);
  }
  fam.gauge("vbench_output_tokens", "Total generated tokens of successful requests.", base, summary.totalOutputTokens);
  fam.gauge("vbench_request_throughput_requests_per_second", "Successful requests per second.", base, summary.requestThroughput);
  if (summary.requestGoodput !== null) {
    fam.gauge("vbench_request_goodput_requests_per_second", "Requests meeting every goodput SLO per second.", base, summary.requestGoodput);
  }
  fam.gauge("vbench_output_throughput_tokens_per_second", "Generated tokens per second.", base, summary.outputThroughput);
  fam.gauge("vbench_total_token_throughput_tokens_per_second", "Input plus generated tokens per second.", base, summary.totalTokenThroughput);
  fam.gauge("vbench_peak_output_throughput_tokens_per_second", "Most generated tokens in one 1-second bin.", base, summary.maxOutputTokensPerS);
  fam.gauge("vbench_peak_concurrent_requests", "Most successful requests in flight at once.", base, summary.maxConcurrentRequests);
  const configured = extras.configuredRateRps === "inf" ? Infinity : extras.configuredRateRps;
  fam.gauge("vbench_configured_request_rate_requests_per_second", "Configured request rate (+Inf: all at once).", base, configured);
  if (extras.achievedRateRps !== null) {
    fam.gauge("vbench_achieved_request_rate_requests_per_second", "Requests dispatched per second of the dispatch window.", base, extras.achievedRateRps);
  }
  for (const metric of scenario.percentileMetrics) {
    const stats = summary.metrics[metric];
    if (stats) fam.summary(`vbench_${metric}_seconds`, LATENCY_HELP[metric], base, summaryOfStats(stats));
  }
  addResponseExtras(fam, base, extras);
  fam.summary("vbench_client_queue_seconds", "Time requests waited for a max_concurrency slot, seconds.", base, summaryOfStats(extras.clientQueueMs));
  fam.summary("vbench_e2el_including_queue_seconds", "End-to-end latency from the scheduled time, including client queueing, seconds.", base, summaryOfStats(extras.e2elInclQueueMs));
  for (const v of result.thresholds) {
    const labels: Labels = [...base, ["threshold", v.key]];
    fam.gauge("vbench_threshold_passed", "1 when the threshold passed, else 0.", labels, v.passed ? 1 : 0);
    fam.gauge("vbench_threshold_limit", "The threshold's configured limit, in the threshold key's unit.", labels, v.limit);
    fam.gauge("vbench_threshold_measured", "The measured value the threshold compared, in the threshold key's unit.", labels, v.measured);
  }
}

/** Content ITL, messages without text and short outputs (absent from results written before they existed). */
function addResponseExtras(fam: PromText, base: Labels, x: SummaryExtras): void {
  if (x.contentItlMs) {
    fam.summary("vbench_content_itl_seconds", "Inter-token latency between stream messages that carried generated text (role-only and empty finish messages left out), seconds.", base, summaryOfStats(x.contentItlMs));
  }
  if (x.noTextMessages !== undefined) {
    fam.gauge("vbench_messages_without_text", "Token-bearing stream messages of successful requests that carried no generated text.", base, x.noTextMessages);
  }
  const short = x.shortOutputs;
  if (!short) return;
  fam.gauge("vbench_short_outputs", "Successful requests that got fewer tokens than requested.", base, short.count);
  for (const [reason, n] of Object.entries(short.byFinishReason)) {
    fam.gauge("vbench_short_outputs_by_finish_reason", "Successful requests that got fewer tokens than requested, by the server's finish_reason.", [...base, ["finish_reason", reason]], n);
  }
  if (short.minRatio !== null) fam.gauge("vbench_output_ratio_min", "Smallest output/requested token ratio of a successful request.", base, short.minRatio);
}

/** The text exposition of any number of scenario results (one HELP/TYPE per family). */
export function renderPrometheus(results: ScenarioResult[]): string {
  const fam = new PromText();
  for (const r of results) addResult(fam, r);
  return fam.render();
}

/** `exporter_options.prometheus.file`: where the combined file goes (e.g. a textfile-collector directory). */
function combinedPath(options: Readonly<Record<string, unknown>>, outputDir: string): string {
  return typeof options.file === "string" && options.file !== "" ? options.file : join(outputDir, PROM_FILE);
}

export default defineExporter({
  name: "prometheus",
  description: "metrics.prom (node_exporter textfile collector) per scenario, and one for all scenarios in OUTPUT_DIR",
  async preflight(ctx) {
    await checkWritableDir(ctx.scenarioDir, { create: true });
    await checkWritableDir(dirname(combinedPath(ctx.options, ctx.outputDir)), { create: true });
  },
  async write(result, ctx) {
    const path = join(ctx.scenarioDir, PROM_FILE);
    await writeFileAtomic(path, renderPrometheus([result]));
    return [path];
  },
  async finish(results, ctx) {
    const path = combinedPath(ctx.options, ctx.outputDir);
    await writeFileAtomic(path, renderPrometheus(results));
    return [path];
  },
});
