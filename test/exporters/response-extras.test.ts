/**
 * The server-side extras (the server's input-token count, content ITL,
 * messages without text, short outputs) in every result format: the JSON's
 * `vbench` object, summary.csv and the Prometheus file (promtool-valid).
 * Built from real llama-server streams through TimedRequest and summarize().
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import { renderSummaryCsv } from "../../plugins/exporters/csv.ts";
import { renderPrometheus } from "../../plugins/exporters/prometheus.ts";
import { summarize } from "../../src/results/metrics.ts";
import { buildBenchmarkResults, formatJson } from "../../src/results/result-docs.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { client } from "../results/summary-fixtures.ts";
import { joinReads, sseEvents, timedReplay } from "../helpers/timed-replay.ts";
import { sampleResult } from "./sample-result.ts";

const LLAMA = join(import.meta.dir, "../fixtures/streams/llama.cpp");
const events = (name: string) => sseEvents(new Uint8Array(readFileSync(join(LLAMA, name))));

/**
 * Chat: role chunk written with the first token, 8 tokens 5 ms apart, the finish chunk with the last:
 * prompt 34 tokens by the server for 8 built. Completions: 4 tokens of 32 requested (finish_reason
 * length), 5 ms apart, then an empty finish chunk: prompt 2 by the server for 1 built.
 */
function result(): ScenarioResult {
  const e = events("chat_stream.sse");
  const chat = timedReplay(openaiChat, [joinReads(e[0]!, e[1]!), ...e.slice(2, 8), joinReads(...e.slice(8))], { inputTokens: 8, requestedOutputTokens: 8, readAtMs: [10, 15, 20, 25, 30, 35, 40, 45] });
  const short = timedReplay(openai, events("completions_stream_no_usage.sse"), { inputTokens: 1, requestedOutputTokens: 32, sentAtMs: 100, firstMs: 10, gapMs: 5 });
  const base = sampleResult({ scenario: { description: "llama-server" } }); // no comma: the test splits rows on commas
  const records = [{ ...chat, index: 0 }, { ...short, index: 1 }];
  return { ...base, records, summary: summarize(records, base.scenario, client()), thresholds: [] };
}

describe("benchmark_results.json", () => {
  const doc = JSON.parse(formatJson(buildBenchmarkResults(result())));

  test("total_input_tokens is the built prompt lengths; the server's count beside it in vbench", () => {
    expect(doc.total_input_tokens).toBe(9);
    expect(doc.vbench.server_input_tokens).toBe(36);
    expect(doc.vbench.server_input_overhead).toEqual({ requests: 2, built_input_tokens: 9, mean_tokens_per_request: 13.5 });
  });

  test("content ITL (mean, p50, p99 in ms) and the messages without text", () => {
    // Chat: 7 gaps of 5 ms between its 8 text messages; completions: 3 gaps of 5 ms, its finish chunk left out.
    expect(doc.vbench.content_itl_ms).toMatchObject({ count: 10, mean: 5, percentiles: { p50: 5, p90: 5, p99: 5 } });
    expect(doc.vbench.messages_without_text).toBe(3);
    expect(doc.itls[0]).toEqual([0, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0]);
  });

  test("short outputs by finish_reason", () => {
    expect(doc.vbench.short_outputs).toEqual({ count: 1, by_finish_reason: { length: 1 }, min_ratio: 0.125 });
  });
});

describe("summary.csv", () => {
  test("a column for each extra", () => {
    const [header, row] = renderSummaryCsv([result()]).trimEnd().split("\n");
    const cells = Object.fromEntries(header!.split(",").map((name, i) => [name, row!.split(",")[i]]));
    expect(cells).toMatchObject({
      total_input_tokens: "9",
      server_input_tokens: "36",
      mean_content_itl_ms: "5",
      p50_content_itl_ms: "5",
      p99_content_itl_ms: "5",
      messages_without_text: "3",
      short_outputs: "1",
      short_outputs_by_finish_reason: "length:1",
      output_ratio_min: "0.125",
    });
  });
});

describe("Prometheus", () => {
  const text = renderPrometheus([result()]);

  test("content ITL is a summary in seconds; counts and short outputs are gauges; promtool accepts the file", () => {
    const labels = 'scenario="basic_performance",model="Qwen/Qwen2-0.5B",backend="openai-chat"';
    expect(text).toContain("# TYPE vbench_content_itl_seconds summary\n");
    expect(text).toContain(`vbench_content_itl_seconds{${labels},quantile="0.5"} 0.005\n`);
    expect(text).toContain(`vbench_content_itl_seconds_count{${labels}} 10\n`);
    expect(text).toContain(`vbench_server_input_tokens{${labels}} 36\n`);
    expect(text).toContain(`vbench_input_tokens{${labels}} 9\n`);
    expect(text).toContain(`vbench_messages_without_text{${labels}} 3\n`);
    expect(text).toContain(`vbench_short_outputs{${labels}} 1\n`);
    expect(text).toContain(`vbench_short_outputs_by_finish_reason{${labels},finish_reason="length"} 1\n`);
    expect(text).toContain(`vbench_output_ratio_min{${labels}} 0.125\n`);
    const promtool = Bun.which("promtool");
    if (!promtool) throw new Error("promtool not found: install it with `apt-get update && apt-get install -y prometheus` (Debian)");
    const check = Bun.spawnSync([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text) });
    expect(check.stdout.toString() + check.stderr.toString()).toBe("");
    expect(check.exitCode).toBe(0);
  });
});
