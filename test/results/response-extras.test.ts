/**
 * What the server did, beside vLLM's numbers: real llama-server streams
 * (test/fixtures/streams/llama.cpp) through a TimedRequest into summarize().
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import { summarize } from "../../src/results/metrics.ts";
import { formatExtras } from "../../src/results/console-block.ts";
import { evaluateThresholds, validateThresholdKeys } from "../../src/results/thresholds.ts";
import { flatSubject } from "../../src/results/flat-result.ts";
import { recordToJsonLine } from "../../src/results/record-log.ts";
import { parseRecordLine } from "../../src/results/record-line.ts";
import { joinReads, sseEvents, timedReplay } from "../helpers/timed-replay.ts";
import { client, scenario } from "./summary-fixtures.ts";

const LLAMA = join(import.meta.dir, "../fixtures/streams/llama.cpp");
const events = (name: string, dir = LLAMA) => sseEvents(new Uint8Array(readFileSync(join(dir, name))));
const VLLM = join(import.meta.dir, "../fixtures/streams");

describe("input tokens: the built prompt lengths (vLLM's), the server's count beside them", () => {
  // chat_stream.sse reports prompt_tokens 34 for a prompt vbench built as 8 tokens (26 chat-template tokens).
  const a = timedReplay(openaiChat, events("chat_stream.sse"), { inputTokens: 8, requestedOutputTokens: 8 });
  const b = timedReplay(openaiChat, events("chat_stream.sse"), { inputTokens: 10, requestedOutputTokens: 8, sentAtMs: 100 });

  test("the record keeps the built length and the server's count separately", () => {
    expect(a.success).toBe(true);
    expect(a.inputTokens).toBe(8);
    expect(a.serverInputTokens).toBe(34);
  });

  test("total_input_tokens and total token throughput count the built lengths", () => {
    const s = summarize([a, b], scenario(), client({ benchStartMs: 0, benchEndMs: 2000 }));
    expect(s.totalInputTokens).toBe(18);
    expect(s.totalOutputTokens).toBe(16);
    expect(s.totalTokenThroughput).toBe((18 + 16) / 2);
    expect(s.extras.serverInputTokens).toEqual({ total: 68, requests: 2, builtTotal: 18 });
  });

  test("the extras print the server's total and the template overhead", () => {
    const s = summarize([a, b], scenario(), client());
    expect(formatExtras(s, scenario(), [])).toContain("Server input tokens:                     68 (built 18; +25.00 per request over 2 requests)");
  });

  test("absent when no request reported usage", () => {
    const s = summarize([{ ...a, serverInputTokens: undefined }], scenario(), client());
    expect(s.extras.serverInputTokens).toBeUndefined();
    expect(formatExtras(s, scenario(), [])).not.toContain("Server input tokens");
  });
});

describe("content ITL: gaps between messages that carried generated text", () => {
  // llama-server writes its role chunk (content null) with the first token, and its finish chunk
  // (delta {}) right after the last token: two near-zero gaps per request in vLLM's ITL.
  const e = events("chat_stream.sse"); // role, 8 tokens, finish, usage, [DONE]
  const reads = [joinReads(e[0]!, e[1]!), ...e.slice(2, 8), joinReads(...e.slice(8))];
  const readAtMs = [10, 15, 20, 25, 30, 35, 40, 45];
  const r = timedReplay(openaiChat, reads, { inputTokens: 8, requestedOutputTokens: 8, readAtMs });
  const s = summarize([r], scenario(), client());

  test("the record marks which token-bearing messages carried no text", () => {
    expect(Array.from(r.chunkAtMs)).toEqual([10, 10, 15, 20, 25, 30, 35, 40, 45, 45]);
    expect(r.noTextChunks).toEqual([0, 9]);
  });

  test("vLLM's ITL keeps every token-bearing message; the content ITL only those with text", () => {
    expect(s.metrics.itl!.count).toBe(9);
    expect(s.metrics.itl!.mean).toBeCloseTo(35 / 9, 12); // below TPOT: two near-zero gaps
    expect(s.metrics.tpot!.mean).toBe(5);
    expect(s.extras.contentItlMs!.count).toBe(7);
    expect(s.extras.contentItlMs!.mean).toBe(5);
    expect(s.extras.contentItlMs!.percentiles).toEqual({ p50: 5, p90: 5, p99: 5 });
    expect(s.extras.noTextMessages).toBe(2);
  });

  test("the extras print it beside the count of messages without text", () => {
    expect(formatExtras(s, scenario(), [])).toContain("Content ITL (ms):                        mean 5.00, p50 5.00, p99 5.00, max 5.00 (7 gaps; 2 messages without text left out)");
  });

  test("a stream whose messages all carry text: content ITL equals ITL", () => {
    // chat_stream.sse without its role and finish chunks: 8 tokens, usage, [DONE].
    const plain = timedReplay(openaiChat, [...e.slice(1, 9), ...e.slice(10)], { inputTokens: 8, requestedOutputTokens: 8 });
    expect(plain.noTextChunks).toBeUndefined();
    const t = summarize([plain], scenario(), client());
    expect(t.extras.contentItlMs!.count).toBe(t.metrics.itl!.count);
    expect(t.extras.contentItlMs!.mean).toBe(t.metrics.itl!.mean);
    expect(t.extras.noTextMessages).toBe(0);
  });
});

describe("outputs shorter than requested", () => {
  // 8 tokens of 8 requested; 4 of 32 cut by a limit (llama-server: a full context); 6 of 10 ended by the model.
  const full = timedReplay(openaiChat, events("chat_stream.sse"), { inputTokens: 8, requestedOutputTokens: 8 });
  const cut = timedReplay(openai, events("completions_stream_no_usage.sse"), { inputTokens: 1020, requestedOutputTokens: 32 });
  const stopped = timedReplay(openaiChat, events("chat-reasoning.sse", VLLM), { inputTokens: 9, requestedOutputTokens: 10 });
  const s = summarize([full, cut, stopped], scenario(), client());

  test("counted by finish_reason, with the smallest output/requested ratio", () => {
    expect([full.outputTokens, cut.outputTokens, stopped.outputTokens]).toEqual([8, 4, 6]);
    expect([cut.finishReason, stopped.finishReason]).toEqual(["length", "stop"]);
    expect(s.completed).toBe(3); // still successes, as vLLM counts them
    expect(s.extras.shortOutputs).toEqual({ count: 2, byFinishReason: { length: 1, stop: 1 }, minRatio: 0.125 });
  });

  test("a warning line after the block", () => {
    expect(formatExtras(s, scenario(), [])).toContain(
      "!!! short outputs: 2 of 3 successful requests got fewer tokens than requested (finish_reason length 1, stop 1); the shortest got 12.5% of its requested length",
    );
  });

  test("no warning when every output is as long as requested", () => {
    const t = summarize([full], scenario(), client());
    expect(t.extras.shortOutputs).toEqual({ count: 0, byFinishReason: {}, minRatio: 1 });
    expect(formatExtras(t, scenario(), [])).not.toContain("short outputs");
  });
});

describe("the output_ratio_min threshold: CI rejects outputs shorter than requested", () => {
  const full = timedReplay(openaiChat, events("chat_stream.sse"), { inputTokens: 8, requestedOutputTokens: 8 });
  const cut = timedReplay(openai, events("completions_stream_no_usage.sse"), { inputTokens: 1020, requestedOutputTokens: 32 });

  test("fails when a successful request got less than that fraction of what it asked for", () => {
    const s = summarize([full, cut], scenario(), client());
    expect(evaluateThresholds({ output_ratio_min: 0.9 }, s)).toEqual([{ key: "output_ratio_min", limit: 0.9, measured: 0.125, comparison: ">=", passed: false }]);
    expect(evaluateThresholds({ output_ratio_min: 0.125 }, s)[0]!.passed).toBe(true);
  });

  test("passes when every output is as long as requested; nothing finished cannot pass", () => {
    expect(evaluateThresholds({ output_ratio_min: 1 }, summarize([full], scenario(), client()))[0]!.passed).toBe(true);
    expect(evaluateThresholds({ output_ratio_min: 0 }, summarize([], scenario(), client()))[0]!.passed).toBe(false);
  });

  test("judged from a saved result's vbench.short_outputs.min_ratio too", () => {
    expect(evaluateThresholds({ output_ratio_min: 0.5 }, flatSubject({ completed: 2, failed: 0, vbench: { short_outputs: { min_ratio: 0.25 } } }))[0]!.measured).toBe(0.25);
  });

  test("the key is validated: a fraction, and the likely misspellings point to it", () => {
    expect(validateThresholdKeys({ output_ratio_min: 0.9 })).toEqual([]);
    expect(validateThresholdKeys({ output_ratio_min: 2 })).toEqual(['threshold "output_ratio_min" is a fraction in [0, 1], got 2']);
    expect(validateThresholdKeys({ min_output_ratio: 1 })[0]).toContain('did you mean "output_ratio_min"?');
    expect(validateThresholdKeys({ min_output_tokens: 1 })[0]).toContain('did you mean "output_ratio_min"?');
  });
});

describe("requests.jsonl keeps what the extras need", () => {
  test("the server's prompt count and the messages without text survive the line and its reading back (vbench merge)", () => {
    const e = events("chat_stream.sse");
    const r = timedReplay(openaiChat, [joinReads(e[0]!, e[1]!), ...e.slice(2, 8), joinReads(...e.slice(8))], { inputTokens: 8, requestedOutputTokens: 8, readAtMs: [10, 15, 20, 25, 30, 35, 40, 45] });
    const line = JSON.parse(recordToJsonLine(r));
    expect(line.server_input_tokens).toBe(34);
    expect(line.no_text_chunks).toEqual([0, 9]);
    const back = parseRecordLine(recordToJsonLine(r))!.record;
    expect(summarize([back], scenario(), client()).extras.contentItlMs).toEqual(summarize([r], scenario(), client()).extras.contentItlMs);
    expect(summarize([back], scenario(), client()).extras.contentItlMs!.count).toBe(7);
  });

  test("a record whose messages all carried text writes no no_text_chunks", () => {
    const r = timedReplay(openai, events("completions_stream.sse").slice(0, 8).concat(events("completions_stream.sse").slice(9)), { inputTokens: 8, requestedOutputTokens: 8 });
    expect("no_text_chunks" in JSON.parse(recordToJsonLine(r))).toBe(false);
  });
});
