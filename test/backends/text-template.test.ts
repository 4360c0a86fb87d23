/**
 * The OpenAI parser's text template (plugins/backends/_text-template.ts) must
 * change nothing but the cost. Every stream here goes through the SSE framer
 * twice, the parser's byte path offered (as TimedRequest wires it) and with
 * templates off, in the same reads, and the kinds and final state must be
 * equal: the recorded streams, the simulator's layout, hand-made traps, and
 * generated mixtures split at random.
 */
import { afterEach, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import fc from "fast-check";
import { createOpenAiParser } from "../../plugins/backends/_openai-stream.ts";
import type { OpenAiFlavour } from "../../plugins/backends/_openai-stream.ts";
import { PayloadKind } from "../../src/base/plugin-types.ts";
import { createSseFramer } from "../../src/wire/sse.ts";
import { loadFixture } from "./replay.ts";

const encoder = new TextEncoder();

/** Feed `bytes` in reads cut at `cuts` through a framer into a parser, as a request does. */
function run(flavour: OpenAiFlavour, bytes: Uint8Array, templates: boolean, cuts: readonly number[] = []) {
  const parser = createOpenAiParser(flavour, templates);
  const kinds: PayloadKind[] = [];
  let byBytes = 0;
  const take = (b: Uint8Array, start: number, end: number) => {
    const kind = parser.onPayloadBytes!(b, start, end);
    if (kind === undefined) return false;
    byBytes++;
    kinds.push(kind);
    return true;
  };
  const framer = createSseFramer((payload) => kinds.push(parser.onPayload(payload)), parser.onPayloadBytes ? take : null);
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length)) {
    framer.push(bytes, at, cut);
    at = cut;
  }
  framer.end();
  return { result: { kinds, state: parser.state }, byBytes };
}

function expectSameAsFullParse(flavour: OpenAiFlavour, bytes: Uint8Array, cuts: readonly number[] = []): number {
  const fast = run(flavour, bytes, true, cuts);
  expect(fast.result).toEqual(run(flavour, bytes, false, cuts).result);
  return fast.byBytes;
}

function sse(payloads: readonly string[], ending = "\n"): Uint8Array {
  return encoder.encode(payloads.map((p) => `data: ${p}${ending}${ending}`).join(""));
}

/** Counts JSON.parse calls made while `body` runs. */
function countParses(body: () => void): number {
  let calls = 0;
  const parse = JSON.parse;
  JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
    calls++;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  try {
    body();
  } finally {
    JSON.parse = parse;
  }
  return calls;
}
const realParse = JSON.parse;
afterEach(() => {
  JSON.parse = realParse;
});

/** The simulator's and vLLM's layout: one id, created time and model around every token's text. */
function vllmChat(texts: readonly string[], finishLast = true): string[] {
  const head = '{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733339999,"model":"m","choices":[{"index":0,';
  const out = [`${head}"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`];
  texts.forEach((t, i) => {
    const finish = finishLast && i === texts.length - 1 ? '"length"' : "null";
    out.push(`${head}"delta":{"content":${JSON.stringify(t)}},"logprobs":null,"finish_reason":${finish}}]}`);
  });
  out.push('{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733339999,"model":"m","choices":[],"usage":{"prompt_tokens":5,"total_tokens":9,"completion_tokens":4}}', "[DONE]");
  return out;
}

const STREAMS = new URL("../fixtures/streams/", import.meta.url);
const OPENAI_FIXTURES = readdirSync(STREAMS)
  .filter((f) => f.endsWith(".sse") && !f.startsWith("tgi"))
  .concat(readdirSync(new URL("llama.cpp/", STREAMS)).filter((f) => f.endsWith(".sse")).map((f) => `llama.cpp/${f}`));

test("every recorded OpenAI-style stream, in one read and cut at every byte, gives what a full parse gives", () => {
  expect(OPENAI_FIXTURES.length).toBeGreaterThanOrEqual(12);
  for (const name of OPENAI_FIXTURES) {
    const bytes = loadFixture(name);
    for (const flavour of ["chat", "completions"] as const) {
      expectSameAsFullParse(flavour, bytes);
      for (let cut = 0; cut <= bytes.length; cut += 7) expectSameAsFullParse(flavour, bytes, [cut]);
    }
  }
});

test("llama-server's chat stream is read from its bytes after the first token", () => {
  const bytes = loadFixture("llama.cpp/chat_stream.sse");
  const full = countParses(() => run("chat", bytes, false));
  let byBytes = 0;
  const templated = countParses(() => (byBytes = run("chat", bytes, true).byBytes));
  expect(full).toBeGreaterThan(10);
  // Parsed: the role chunk, the first token and its probe, a token with non-ASCII text, the finish and usage chunks.
  expect(templated).toBe(6);
  // Every other payload went by its bytes: the probe is the one parse that was not a payload.
  expect(byBytes).toBe(full - templated + 1);
});

test("the simulator's layout: 256 tokens take a handful of parses and read the same text", () => {
  const texts = Array.from({ length: 256 }, (_, i) => ` w${i}`);
  const bytes = sse(vllmChat(texts));
  let fast!: ReturnType<typeof run>;
  const parses = countParses(() => (fast = run("chat", bytes, true)));
  expect(parses).toBeLessThanOrEqual(6);
  expect(fast.byBytes).toBeGreaterThanOrEqual(250);
  expect(fast.result.state.textParts.join("")).toBe(texts.join(""));
  expect(expectSameAsFullParse("chat", bytes)).toBe(fast.byBytes);
});

test("texts and streams the byte path must leave to the decoder are still exact", () => {
  const texts = [" a", " b", "line\nbreak", 'say "hi"', "back\\slash", "é ü", "\u0001", "", "\ud83d\ude00", " c", "tab\there", "</s>", "\u007f"];
  expectSameAsFullParse("chat", sse(vllmChat(texts)));
  expectSameAsFullParse("chat", sse(vllmChat(texts, false)));
  // CRLF and CR line endings: CR ends a line in SSE, so such reads are decoded.
  expect(expectSameAsFullParse("chat", sse(vllmChat([" a", " b", " c"]), "\r\n"))).toBe(0);
  // A raw control character inside the string is malformed JSON: the full parse's error, not a token.
  const raw = (t: string) => `{"choices":[{"index":0,"delta":{"content":"${t}"},"finish_reason":null}]}`;
  const bytes = sse([raw(" ok"), raw(" ok"), raw("bad\u0001"), raw(" after")]);
  expectSameAsFullParse("chat", bytes);
  expect(run("chat", bytes, true).result.kinds[2]).toBe(PayloadKind.Error);
  // Invalid UTF-8 inside a text: the decoder's U+FFFD, as before.
  const good = encoder.encode(`data: ${raw(" ok")}\n\ndata: ${raw(" ok")}\n\n`);
  const bad = encoder.encode(`data: ${raw(" XX")}\n\n`);
  const at = bad.indexOf(0x58);
  bad[at] = 0xff;
  bad[at + 1] = 0xfe;
  const mixed = new Uint8Array([...good, ...bad]);
  expectSameAsFullParse("chat", mixed);
  expect(run("chat", mixed, true).result.state.textParts[2]).toBe(" \ufffd\ufffd");
});

test("layouts the template must not trust are parsed in full", () => {
  const chunk = (body: string) => `{"choices":[{"index":0,${body}}]}`;
  const cases: string[][] = [
    // The same key earlier in the chunk: the generated text is the later one.
    [" a", " b", " c"].map((t, i) => `{"x":{"content":"${t}"},"choices":[{"index":0,"delta":{"content":"${t}${i}"}}]}`),
    // A duplicate key: JSON.parse keeps the last.
    [" a", " b", " c"].map((t) => chunk(`"delta":{"content":"${t}","content":" last"}`)),
    // Tool calls make a chunk token-bearing without text: an empty content must stay a token.
    [" a", "", " b", ""].map((t) => chunk(`"delta":{"content":"${t}","tool_calls":[{"index":0}]}`)),
    // Reasoning beside content: two texts from one chunk.
    [" a", " b", " c"].map((t) => chunk(`"delta":{"content":"${t}","reasoning_content":" r"}`)),
    // Usage on every chunk (continuous usage stats), a finish reason on every chunk.
    [" a", " b", " c"].map((t) => `{"choices":[{"index":0,"delta":{"content":"${t}"}}],"usage":{"completion_tokens":1}}`),
    [" a", " b", " c"].map((t) => chunk(`"delta":{"content":"${t}"},"finish_reason":"stop"`)),
    // Spaces around the colon (Python's json.dumps): still read from the bytes, still exact.
    [" a", " b", " c"].map((t) => `{"choices": [{"index": 0, "delta": {"content": "${t}"}, "finish_reason": null}]}`),
    // A server that sends the probe's own text.
    ["vbench-template-probe", " b", " c"].map((t) => chunk(`"delta":{"content":"${t}"}`)),
    // A non-streaming body, an error object, after a chunk of the same layout.
    [chunk(`"delta":{"content":" a"}`), chunk(`"message":{"content":" a"}`)],
    [chunk(`"delta":{"content":" a"}`), `{"error":{"message":"boom"},"choices":[{"index":0,"delta":{"content":" a"}}]}`],
  ];
  for (const payloads of cases) expectSameAsFullParse("chat", sse(payloads));
  expectSameAsFullParse("completions", sse([" a", "", " b", "x\ny", " c"].map((t) => `{"choices":[{"text":${JSON.stringify(t)},"index":0,"finish_reason":null}],"object":"text_completion"}`)));
  expect(run("chat", sse(cases[0]!), true).result.state.textParts).toEqual([" a0", " b1", " c2"]);
  expect(run("chat", sse(cases[2]!), true).result.kinds).toEqual([PayloadKind.Token, PayloadKind.Token, PayloadKind.Token, PayloadKind.Token]);
});

test("generated streams mixing layouts, texts, traps and read splits give the same kinds and state", () => {
  const piece = fc.oneof(fc.string({ unit: "binary", maxLength: 5 }), fc.constantFrom(" the", " a", "", "\n", '"', "\\", "vbench-template-probe"));
  const chunk = fc.record({
    text: piece,
    finish: fc.constantFrom(null, null, null, "stop"),
    usage: fc.boolean(),
    extra: fc.constantFrom("", "", ',"reasoning":"r"', ',"tool_calls":[{}]', ',"content":"dup"'),
    spaced: fc.boolean(),
    ping: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 30 }), fc.boolean(), fc.array(fc.nat(4000), { maxLength: 12 }), (chunks, chat, cuts) => {
      const events = chunks.map((c) => {
        const body = chat ? `"delta":{"content":${JSON.stringify(c.text)}${c.extra}}` : `"text":${JSON.stringify(c.text)}`;
        const json = `{"id":"x","choices":[{"index":0,${body},"finish_reason":${JSON.stringify(c.finish)}}]${c.usage ? ',"usage":{"completion_tokens":2}' : ""}}`;
        return `${c.ping ? ": ping\n\n" : ""}data: ${c.spaced ? json.replaceAll('":', '": ') : json}\n\n`;
      });
      expectSameAsFullParse(chat ? "chat" : "completions", encoder.encode(events.join("") + "data: [DONE]\n\n"), cuts);
    }),
    { seed: 1733300000, numRuns: 400 },
  );
});
