/**
 * What the server did, beside vLLM's numbers: real llama-server streams
 * (test/fixtures/streams/llama.cpp) through a TimedRequest into summarize().
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import { summarize } from "../../src/core/metrics.ts";
import { formatExtras } from "../../src/core/report.ts";
import { sseEvents, timedReplay } from "../helpers/timed-replay.ts";
import { client, scenario } from "./summary-fixtures.ts";

const LLAMA = join(import.meta.dir, "../fixtures/streams/llama.cpp");
const events = (name: string) => sseEvents(new Uint8Array(readFileSync(join(LLAMA, name))));

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
