import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encode } from "gpt-tokenizer/encoding/r50k_base";
import { startMockServer, type MockServer } from "../../src/mock/server.ts";
import { post, rawPost, splitSse } from "./helpers.ts";

let s: MockServer;
beforeAll(async () => {
  // tokensPerChunk is an OpenAI knob: TGI still sends one token per event.
  s = await startMockServer({ ttftMs: 5, itlMs: 1, model: "tgi-model", tokensPerChunk: 3 });
});
afterAll(() => s.stop());

describe("TGI", () => {
  test("GET /info carries model_id", async () => {
    const r = await fetch(`${s.url}/info`);
    expect(((await r.json()) as { model_id: string }).model_id).toBe("tgi-model");
  });

  test("/generate_stream: one event per token, no space after data:, details last, no [DONE]", async () => {
    const r = await post(`${s.url}/generate_stream`, { inputs: "hello world", parameters: { max_new_tokens: 6, details: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const payloads = splitSse(await r.text());
    expect(payloads.length).toBe(6);
    for (const p of payloads) expect(p.startsWith("{")).toBe(true);
    const events = payloads.map((p) => JSON.parse(p));
    expect(Object.keys(events[0])).toEqual(["index", "token", "generated_text", "details"]);
    expect(Object.keys(events[0].token)).toEqual(["id", "text", "logprob", "special"]);
    expect(events.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of events.slice(0, -1)) {
      expect(e.generated_text).toBeNull();
      expect(e.details).toBeNull();
      expect(e.token.special).toBe(false);
    }
    const last = events.at(-1);
    const text = events.map((e) => e.token.text).join("");
    expect(last.generated_text).toBe(text);
    expect(last.details).toEqual({ finish_reason: "length", generated_tokens: 6, seed: null });
    // Token ids are the GPT-2 ids of the token texts.
    expect(events.map((e) => e.token.id)).toEqual(encode(text));
  });

  test("/generate_stream ends the response after the details event", async () => {
    const raw = await rawPost(s.port, "/generate_stream", { inputs: "x", parameters: { max_new_tokens: 2 } });
    expect(raw.endedCleanly).toBe(true);
    expect(new TextDecoder().decode(raw.bytes)).not.toContain("[DONE]");
  });

  test("/generate returns generated_text and details", async () => {
    const r = await post(`${s.url}/generate`, { inputs: "hello", parameters: { max_new_tokens: 5 } });
    const body = (await r.json()) as { generated_text: string; details: Record<string, unknown> };
    expect(encode(body.generated_text).length).toBe(5);
    expect(body.details).toEqual({ finish_reason: "length", generated_tokens: 5, seed: null });
  });

  test("validation errors are 422 with TGI's error shape", async () => {
    const r = await post(`${s.url}/generate`, { parameters: { max_new_tokens: 5 } });
    expect(r.status).toBe(422);
    expect(await r.json()).toMatchObject({ error_type: "validation" });
  });

  test("truth counts TGI events as chunks and inputs as prompt tokens", async () => {
    const before = s.truth().length;
    await (await post(`${s.url}/generate_stream`, { inputs: "hello world", parameters: { max_new_tokens: 4 } })).text();
    const t = s.truth()[before];
    expect(t.path).toBe("/generate_stream");
    expect(t.chunkAtMs.length).toBe(4);
    expect(t.outputTokens).toBe(4);
    expect(t.promptTokens).toBe(2);
  });
});
