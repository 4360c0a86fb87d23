/** Request bodies, exactly as spec/wire.md describes them. */
import { describe, expect, test } from "bun:test";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import tgi from "../../plugins/backends/tgi.ts";
import type { BuildRequestInput } from "../../src/base/plugin-types.ts";

function input(over: Partial<BuildRequestInput> = {}): BuildRequestInput {
  return {
    item: { prompt: "Hello there", inputTokens: 2, outputTokens: 128 },
    model: "meta-llama/Llama-3.1-8B-Instruct",
    ignoreEos: true,
    sampling: {},
    extraBody: {},
    ...over,
  };
}

/** Serialised, so key order and omitted fields are part of the assertion. */
const json = (body: Record<string, unknown>) => JSON.stringify(body);

describe("openai-chat body", () => {
  test("synthetic workload: exactly the wire.md body", () => {
    expect(json(openaiChat.buildBody(input()))).toBe(
      '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"Hello there"}],' +
        '"max_completion_tokens":128,"stream":true,"stream_options":{"include_usage":true},"ignore_eos":true,"temperature":0}',
    );
  });

  test("ignore_eos only when asked; a conversation is sent as given", () => {
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: "Hi" },
      { role: "assistant" as const, content: "Hello!" },
      { role: "user" as const, content: "Hello there" },
    ];
    const body = openaiChat.buildBody(input({ ignoreEos: false, item: { prompt: "Hello there", messages, inputTokens: 9, outputTokens: 7 } }));
    expect(body).toEqual({
      model: "meta-llama/Llama-3.1-8B-Instruct",
      messages,
      max_completion_tokens: 7,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
    });
    expect("ignore_eos" in body).toBe(false);
  });

  test("sampling fields merged, extra_body last (objects merged one level deep)", () => {
    const body = openaiChat.buildBody(
      input({
        sampling: { temperature: 0.7, top_p: 0.9, top_k: 20 },
        extraBody: { top_k: 50, stream_options: { continuous_usage_stats: true }, chat_template_kwargs: { enable_thinking: false } },
      }),
    );
    expect(json(body)).toBe(
      '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"Hello there"}],' +
        '"max_completion_tokens":128,"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true},' +
        '"ignore_eos":true,"temperature":0.7,"top_p":0.9,"top_k":50,"chat_template_kwargs":{"enable_thinking":false}}',
    );
  });

  test("extra_body can replace a built field", () => {
    expect(openaiChat.buildBody(input({ extraBody: { max_completion_tokens: 5, ignore_eos: false } }))).toMatchObject({
      max_completion_tokens: 5,
      ignore_eos: false,
    });
  });
});

describe("openai (completions) body", () => {
  test("synthetic workload: exactly the wire.md body", () => {
    expect(json(openai.buildBody(input()))).toBe(
      '{"model":"meta-llama/Llama-3.1-8B-Instruct","prompt":"Hello there","max_tokens":128,"stream":true,' +
        '"stream_options":{"include_usage":true},"ignore_eos":true,"temperature":0}',
    );
  });

  test("without ignore_eos, with sampling and extra_body", () => {
    const body = openai.buildBody(input({ ignoreEos: false, sampling: { temperature: 0 }, extraBody: { logprobs: 1 } }));
    expect(json(body)).toBe(
      '{"model":"meta-llama/Llama-3.1-8B-Instruct","prompt":"Hello there","max_tokens":128,"stream":true,' +
        '"stream_options":{"include_usage":true},"temperature":0,"logprobs":1}',
    );
  });

  test("the prompt is used even when the item has messages", () => {
    const item = { prompt: "last", messages: [{ role: "user" as const, content: "last" }], inputTokens: 1, outputTokens: 3 };
    expect(openai.buildBody(input({ item })).prompt).toBe("last");
  });
});

describe("temperature default (vLLM's client sends temperature 0.0)", () => {
  for (const backend of [openaiChat, openai]) {
    test(`${backend.name}: temperature 0 unless the scenario or extra_body sets it`, () => {
      expect(backend.buildBody(input()).temperature).toBe(0);
      expect(backend.buildBody(input({ sampling: { temperature: 0.8 } })).temperature).toBe(0.8);
      expect(backend.buildBody(input({ extraBody: { temperature: 1.2 } })).temperature).toBe(1.2);
    });
  }

  test("tgi keeps its own defaults: no temperature unless set", () => {
    expect("temperature" in (tgi.buildBody(input()).parameters as Record<string, unknown>)).toBe(false);
  });
});

describe("tgi body", () => {
  test("greedy: exactly the wire.md body (no ignore_eos: TGI has none)", () => {
    expect(json(tgi.buildBody(input()))).toBe(
      '{"inputs":"Hello there","parameters":{"max_new_tokens":128,"details":true,"do_sample":false,"decoder_input_details":false}}',
    );
  });

  test("sampling is mapped onto TGI's parameters and valid ranges", () => {
    const body = tgi.buildBody(input({ sampling: { temperature: 0.6, top_p: 0.95, top_k: 40, seed: 7, repetition_penalty: 1.1 } }));
    expect(json(body)).toBe(
      '{"inputs":"Hello there","parameters":{"max_new_tokens":128,"details":true,"do_sample":true,"decoder_input_details":false,' +
        '"temperature":0.6,"top_p":0.95,"top_k":40,"seed":7,"repetition_penalty":1.1}}',
    );
  });

  test("vLLM's 'disabled' values, which TGI rejects, are left out", () => {
    const body = tgi.buildBody(input({ sampling: { temperature: 0, top_p: 1, top_k: -1, min_p: null } }));
    expect(body.parameters).toEqual({ max_new_tokens: 128, details: true, do_sample: false, decoder_input_details: false });
  });

  test("an explicit do_sample wins over the one temperature implies", () => {
    const body = tgi.buildBody(input({ sampling: { do_sample: false, temperature: 0.5 } }));
    expect(body.parameters).toMatchObject({ do_sample: false, temperature: 0.5 });
  });

  test("extra_body merges at the top level, and its `parameters` into the parameters", () => {
    const body = tgi.buildBody(input({ extraBody: { parameters: { top_n_tokens: 5, details: false }, stream: true } }));
    expect(json(body)).toBe(
      '{"inputs":"Hello there","parameters":{"max_new_tokens":128,"details":false,"do_sample":false,' +
        '"decoder_input_details":false,"top_n_tokens":5},"stream":true}',
    );
  });
});
