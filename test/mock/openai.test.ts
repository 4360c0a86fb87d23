import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encode } from "gpt-tokenizer/encoding/r50k_base";
import { startMockServer, type MockServer } from "../../src/mock/server.ts";
import { post, splitSse } from "./helpers.ts";

let s: MockServer;
beforeAll(async () => {
  s = await startMockServer({ ttftMs: 5, itlMs: 1, model: "m1" });
});
afterAll(() => s.stop());

const PROMPT = "The quick brown fox jumps over the lazy dog";

describe("OpenAI discovery and health", () => {
  test("GET /v1/models lists the model", async () => {
    const r = await fetch(`${s.url}/v1/models`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe("list");
    expect(body.data.map((m) => [m.id, m.object])).toEqual([["m1", "model"]]);
  });

  test("GET /health is 200, unknown paths 404", async () => {
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
  });
});

describe("POST /v1/chat/completions streaming", () => {
  test("role delta, one content delta per token, usage chunk, [DONE]", async () => {
    const r = await post(`${s.url}/v1/chat/completions`, {
      model: "m1",
      messages: [{ role: "user", content: PROMPT }],
      max_completion_tokens: 7,
      stream: true,
      stream_options: { include_usage: true },
    }, { "x-request-id": "req-1" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    expect(r.headers.get("x-request-id")).toBe("req-1");
    const payloads = splitSse(await r.text());
    // "data: " with one space, as vLLM sends it.
    for (const p of payloads) expect(p.startsWith(" ")).toBe(true);
    expect(payloads.at(-1)).toBe(" [DONE]");
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p));
    expect(chunks[0].choices).toEqual([{ index: 0, delta: { role: "assistant" }, logprobs: null, finish_reason: null }]);
    expect(chunks[0].object).toBe("chat.completion.chunk");
    expect(chunks[0].model).toBe("m1");
    const content = chunks.slice(1, -1);
    expect(content.length).toBe(7);
    expect(content.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, null, null, null, "length"]);
    const text = content.map((c) => c.choices[0].delta.content).join("");
    expect(encode(text).length).toBe(7);
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual({ prompt_tokens: encode(PROMPT).length, completion_tokens: 7, total_tokens: encode(PROMPT).length + 7 });
  });

  test("no usage chunk without stream_options.include_usage; max_tokens is honoured", async () => {
    const r = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: "user", content: "hi" }], max_tokens: 3, stream: true });
    const payloads = splitSse(await r.text());
    expect(payloads.length).toBe(1 + 3 + 1);
    expect(payloads.some((p) => p.includes('"usage"'))).toBe(false);
  });

  test("default output length is 16", async () => {
    const r = await post(`${s.url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = splitSse(await r.text()).slice(0, -1).map((p) => JSON.parse(p));
    expect(chunks.at(-1).usage.completion_tokens).toBe(16);
    expect(chunks.filter((c) => c.choices.length > 0 && c.choices[0].delta.content !== undefined).length).toBe(16);
  });

  test("a model name mismatch is a vLLM-style 404", async () => {
    const r = await post(`${s.url}/v1/chat/completions`, { model: "other", messages: [{ role: "user", content: "hi" }] });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: { message: "The model `other` does not exist.", type: "NotFoundError", code: 404 } });
  });

  test("invalid bodies are 400 with an OpenAI error", async () => {
    const bad = await post(`${s.url}/v1/chat/completions`, "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(400);
    const noMessages = await post(`${s.url}/v1/chat/completions`, { max_tokens: 2 });
    expect(noMessages.status).toBe(400);
    const zero = await post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 0 });
    expect(zero.status).toBe(400);
  });
});

describe("POST /v1/completions", () => {
  test("streaming: text chunks, usage chunk, [DONE]", async () => {
    const r = await post(`${s.url}/v1/completions`, {
      model: "m1",
      prompt: PROMPT,
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const payloads = splitSse(await r.text());
    expect(payloads.at(-1)).toBe(" [DONE]");
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p));
    expect(chunks.length).toBe(5 + 1);
    for (const c of chunks.slice(0, 5)) {
      expect(c.object).toBe("text_completion");
      expect(typeof c.choices[0].text).toBe("string");
    }
    expect(chunks[4].choices[0].finish_reason).toBe("length");
    expect(chunks[5]).toMatchObject({ choices: [], usage: { prompt_tokens: encode(PROMPT).length, completion_tokens: 5, total_tokens: encode(PROMPT).length + 5 } });
  });

  test("non-streaming bodies carry the text and usage", async () => {
    const c = await post(`${s.url}/v1/completions`, { prompt: PROMPT, max_tokens: 9 });
    expect(c.headers.get("content-type")).toBe("application/json");
    const body = (await c.json()) as { object: string; choices: { text: string; finish_reason: string }[]; usage: Record<string, number> };
    expect(body.object).toBe("text_completion");
    expect(encode(body.choices[0].text).length).toBe(9);
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage).toEqual({ prompt_tokens: encode(PROMPT).length, completion_tokens: 9, total_tokens: encode(PROMPT).length + 9 });

    const chat = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: "user", content: PROMPT }], max_completion_tokens: 4 });
    const cb = (await chat.json()) as { object: string; choices: { message: { role: string; content: string } }[]; usage: Record<string, number> };
    expect(cb.object).toBe("chat.completion");
    expect(cb.choices[0].message.role).toBe("assistant");
    expect(encode(cb.choices[0].message.content).length).toBe(4);
    expect(cb.usage.completion_tokens).toBe(4);
  });

  test("a prompt of token ids counts its ids", async () => {
    const r = await post(`${s.url}/v1/completions`, { prompt: [1, 2, 3, 4, 5, 6], max_tokens: 1 });
    expect(((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(6);
  });
});

describe("tokensPerChunk", () => {
  test("first chunk carries one token, later chunks N tokens, usage unchanged", async () => {
    const m = await startMockServer({ ttftMs: 1, itlMs: 1, tokensPerChunk: 4 });
    try {
      const r = await post(`${m.url}/v1/completions`, { prompt: "x", max_tokens: 10, stream: true, stream_options: { include_usage: true } });
      const chunks = splitSse(await r.text()).slice(0, -1).map((p) => JSON.parse(p));
      const texts = chunks.filter((c) => c.choices.length > 0).map((c) => c.choices[0].text as string);
      expect(texts.map((t) => encode(t).length)).toEqual([1, 4, 4, 1]);
      expect(chunks.at(-1).usage.completion_tokens).toBe(10);
      // Truth: one chunk time per token-bearing chunk.
      expect(m.truth()[0].chunkAtMs.length).toBe(4);
      expect(m.truth()[0].outputTokens).toBe(10);
    } finally {
      await m.stop();
    }
  });

  test("without exact counting prompt_tokens is ceil(chars / 4)", async () => {
    const m = await startMockServer({ ttftMs: 0, itlMs: 0, exactPromptTokens: false });
    try {
      const r = await post(`${m.url}/v1/completions`, { prompt: "abcdefghi", max_tokens: 1 });
      expect(((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(3);
    } finally {
      await m.stop();
    }
  });
});
