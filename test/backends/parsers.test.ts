/** Parsers payload by payload: kinds, state, error texts; discovery and endpoint hints. */
import { describe, expect, test } from "bun:test";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import tgi from "../../plugins/backends/tgi.ts";
import { PayloadKind } from "../../src/base/plugin-types.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";

const { Ignore: I, Token: T, Done: D, Error: E, TokenAndDone: TD, TokenNoText: N, TokenNoTextAndDone: ND } = PayloadKind;

function feed(backend: BackendPlugin, payloads: string[]) {
  const parser = backend.createParser();
  const kinds = payloads.map((p) => parser.onPayload(p));
  return { kinds, state: parser.state };
}

describe("openai-chat parser", () => {
  test("role-only and empty-content deltas are token-bearing without text; usage-only is not", () => {
    const { kinds, state } = feed(openaiChat, [
      '{"choices":[{"index":0,"delta":{"role":"assistant"}}]}',
      '{"choices":[{"index":0,"delta":{"content":""}}]}',
      '{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}',
      '{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}',
      "[DONE]",
    ]);
    expect(kinds).toEqual([N, N, T, I, D]);
    expect(state).toEqual({ textParts: ["x"], finishReason: "stop", outputTokens: 2, promptTokens: 4, ended: true });
  });

  test("llama-server's shapes: content null on the role chunk, an empty finish delta; tool calls carry output", () => {
    const { kinds, state } = feed(openaiChat, [
      '{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}]}',
      '{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" a"}}]}',
      '{"choices":[{"finish_reason":null,"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}',
      '{"choices":[{"finish_reason":"length","index":0,"delta":{}}]}',
      "[DONE]",
    ]);
    expect(kinds).toEqual([N, T, T, N, D]);
    expect(state.textParts).toEqual([" a"]);
    expect(state.finishReason).toBe("length");
  });

  test("usage on token-bearing chunks counts, the last one wins", () => {
    const { kinds, state } = feed(openaiChat, [
      '{"choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":4,"completion_tokens":1}}',
      '{"choices":[{"delta":{"content":"b"}}],"usage":{"prompt_tokens":4,"completion_tokens":2}}',
    ]);
    expect(kinds).toEqual([T, T]);
    expect(state.outputTokens).toBe(2);
    expect(state.ended).toBe(false);
  });

  test("no usage: no server counts", () => {
    const { state } = feed(openaiChat, ['{"choices":[{"delta":{"content":"a"}}],"usage":null}', "[DONE]"]);
    expect(state.outputTokens).toBeUndefined();
    expect(state.promptTokens).toBeUndefined();
  });

  test("reasoning_content and reasoning are text; the same text under both names counts once", () => {
    const { state } = feed(openaiChat, [
      '{"choices":[{"delta":{"reasoning_content":"r1"}}]}',
      '{"choices":[{"delta":{"reasoning":"r2"}}]}',
      '{"choices":[{"delta":{"reasoning":"r3","reasoning_content":"r3"}}]}',
      '{"choices":[{"delta":{"content":"c"}}]}',
    ]);
    expect(state.textParts).toEqual(["r1", "r2", "r3", "c"]);
  });

  test("error objects: OpenAI style, vLLM ErrorResponse, plain string; the first is kept", () => {
    expect(feed(openaiChat, ['{"error":{"message":"bad things","type":"server_error","code":500}}']).state.error).toBe("bad things");
    expect(feed(openaiChat, ['{"object":"error","message":"too long","type":"BadRequestError","code":400}']).state.error).toBe("too long");
    const { kinds, state } = feed(openaiChat, ['{"error":"first"}', '{"error":"second"}']);
    expect(kinds).toEqual([E, E]);
    expect(state.error).toBe("first");
    expect(feed(openaiChat, ['{"error":{"code":7}}']).state.error).toBe('{"code":7}');
  });

  test("malformed JSON is an error quoting the first 200 characters", () => {
    const junk = "{not json " + "x".repeat(300);
    const { kinds, state } = feed(openaiChat, [junk]);
    expect(kinds).toEqual([E]);
    expect(state.error).toBe(`malformed JSON in stream: ${junk.slice(0, 200)}`);
    expect(feed(openaiChat, ["42"]).kinds).toEqual([E]);
    expect(feed(openaiChat, ["[1,2]"]).kinds).toEqual([E]);
  });

  test("empty payloads are keep-alives; [DONE] with stray whitespace still ends", () => {
    const { kinds, state } = feed(openaiChat, ["", "  ", " [DONE] "]);
    expect(kinds).toEqual([I, I, D]);
    expect(state.ended).toBe(true);
    expect(state.error).toBeUndefined();
  });

  test("a non-streaming body is one token-bearing end marker", () => {
    const body =
      '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!",' +
      '"reasoning_content":"think"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}';
    const { kinds, state } = feed(openaiChat, [body]);
    expect(kinds).toEqual([TD]);
    expect(state).toEqual({ textParts: ["Hi!", "think"], finishReason: "stop", outputTokens: 3, promptTokens: 5, ended: true });
  });
});

describe("openai (completions) parser", () => {
  test("empty text in a non-empty choices array is token-bearing, without text", () => {
    const { kinds, state } = feed(openai, ['{"choices":[{"text":""}]}', '{"choices":[{"text":"a","finish_reason":null}]}', "[DONE]"]);
    expect(kinds).toEqual([N, T, D]);
    expect(state.textParts).toEqual(["a"]);
  });

  test("a non-streaming body is one token-bearing end marker", () => {
    const body =
      '{"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":" a b c","finish_reason":"length"}],' +
      '"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}';
    const { kinds, state } = feed(openai, [body]);
    expect(kinds).toEqual([TD]);
    expect(state).toEqual({ textParts: [" a b c"], finishReason: "length", outputTokens: 3, promptTokens: 3, ended: true });
  });

  test("a finish chunk with empty text and usage (llama-server, continuous usage) ends the stream without text", () => {
    const { kinds, state } = feed(openai, [
      '{"choices":[{"text":" a","index":0,"finish_reason":null}]}',
      '{"choices":[{"text":"","index":0,"finish_reason":"length"}],"usage":{"completion_tokens":1,"prompt_tokens":2}}',
      "[DONE]",
    ]);
    expect(kinds).toEqual([T, ND, D]);
    expect(state).toEqual({ textParts: [" a"], finishReason: "length", outputTokens: 1, promptTokens: 2, ended: true });
  });

  test("errors as for chat", () => {
    expect(feed(openai, ['{"object":"error","message":"nope"}', "[DONE]"]).kinds).toEqual([E, D]);
  });
});

describe("tgi parser", () => {
  const tok = (text: string, special = false) =>
    JSON.stringify({ index: 1, token: { id: 1, text, logprob: -1, special }, generated_text: null, details: null });

  test("every event with a token is token-bearing, special ones too; details end it", () => {
    const final =
      '{"index":3,"token":{"id":2,"text":"</s>","logprob":-0.1,"special":true},"generated_text":"ab",' +
      '"details":{"finish_reason":"eos_token","generated_tokens":3,"seed":null}}';
    const { kinds, state } = feed(tgi, [tok("a"), tok("<|im_sep|>", true), tok("b"), final]);
    expect(kinds).toEqual([T, T, T, TD]);
    expect(state).toEqual({ textParts: ["a", "b"], outputTokens: 3, finishReason: "eos_token", ended: true });
  });

  test("error events: `<error_type>: <error>`, or the bare error", () => {
    const { kinds, state } = feed(tgi, [tok("a"), '{"error":"Model is overloaded","error_type":"overloaded"}']);
    expect(kinds).toEqual([T, E]);
    expect(state.error).toBe("overloaded: Model is overloaded");
    expect(state.ended).toBe(false);
    expect(feed(tgi, ['{"error":"boom"}']).state.error).toBe("boom");
  });

  test("a stream without the details event never ends (the core reports truncated)", () => {
    const { kinds, state } = feed(tgi, [tok("a"), tok("b")]);
    expect(kinds).toEqual([T, T]);
    expect(state.ended).toBe(false);
    expect(state.outputTokens).toBeUndefined();
  });

  test("non-streaming /generate body, with and without details, and the array form", () => {
    const withDetails = '{"generated_text":" hi there","details":{"finish_reason":"length","generated_tokens":2,"seed":null,"prefill":[],"tokens":[]}}';
    expect(feed(tgi, [withDetails])).toEqual({
      kinds: [TD],
      state: { textParts: [" hi there"], outputTokens: 2, finishReason: "length", ended: true },
    });
    expect(feed(tgi, ['{"generated_text":"x"}'])).toEqual({ kinds: [TD], state: { textParts: ["x"], ended: true } });
    expect(feed(tgi, ['[{"generated_text":"y"}]']).kinds).toEqual([TD]);
  });

  test("malformed data and unknown objects", () => {
    expect(feed(tgi, ["data:{oops"]).state.error).toBe("malformed JSON in stream: data:{oops");
    expect(feed(tgi, ['{"index":1}', ""]).kinds).toEqual([I, I]);
  });
});

describe("discovery", () => {
  test("/v1/models → data[].id", () => {
    const body = { object: "list", data: [{ id: "a", object: "model" }, { id: "b" }, { nope: 1 }, "c"] };
    expect(openaiChat.discovery.path).toBe("/v1/models");
    expect(openai.discovery.parseModels(body)).toEqual(["a", "b"]);
    expect(openaiChat.discovery.parseModels({ error: "x" })).toEqual([]);
    expect(openaiChat.discovery.parseModels(null)).toEqual([]);
  });

  test("/info → [model_id]", () => {
    expect(tgi.discovery.path).toBe("/info");
    expect(tgi.discovery.parseModels({ model_id: "bigscience/bloom-560m", max_input_tokens: 1024 })).toEqual(["bigscience/bloom-560m"]);
    expect(tgi.discovery.parseModels({})).toEqual([]);
  });
});

describe("endpoint paths", () => {
  test("defaults", () => {
    expect([openaiChat.defaultEndpointPath, openai.defaultEndpointPath, tgi.defaultEndpointPath]).toEqual([
      "/v1/chat/completions",
      "/v1/completions",
      "/generate_stream",
    ]);
  });

  test("each backend accepts its own paths, prefixed or not", () => {
    expect(openaiChat.checkEndpointPath?.("/v1/chat/completions")).toBeUndefined();
    expect(openaiChat.checkEndpointPath?.("/proxy/v1/chat/completions/")).toBeUndefined();
    expect(openai.checkEndpointPath?.("/v1/completions")).toBeUndefined();
    expect(tgi.checkEndpointPath?.("/generate_stream")).toBeUndefined();
    expect(tgi.checkEndpointPath?.("/generate")).toBeUndefined();
    expect(openaiChat.checkEndpointPath?.("/custom/route")).toBeUndefined();
  });

  test("a path of another backend gets a hint naming it", () => {
    expect(openaiChat.checkEndpointPath?.("/v1/completions")).toContain('"openai" backend');
    expect(openaiChat.checkEndpointPath?.("/generate_stream")).toContain('"tgi" backend');
    expect(openai.checkEndpointPath?.("/v1/chat/completions")).toContain('"openai-chat" backend');
    expect(openai.checkEndpointPath?.("/generate_stream")).toContain('"tgi" backend');
    expect(tgi.checkEndpointPath?.("/v1/chat/completions")).toContain('"openai-chat" backend');
    expect(tgi.checkEndpointPath?.("/v1/completions")).toContain('"openai-chat" backend');
  });
});
