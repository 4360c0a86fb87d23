/**
 * Property tests for framer + backend parsers: on generated valid streams the
 * token-bearing count equals the number of generated token events and the
 * text round-trips, under any read split; random bytes and random payloads
 * never make a parser throw.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import tgi from "../../plugins/backends/tgi.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import { carriesNoText, replay, splitAt } from "./replay.ts";

const FC = { seed: 1718000000, numRuns: 250 };
const enc = new TextEncoder();
const backends: BackendPlugin[] = [openaiChat, openai, tgi];

const tokenArb = fc.record({
  text: fc.string({ unit: "binary", maxLength: 6 }),
  special: fc.boolean(),
  reasoning: fc.boolean(),
});
const formatArb = fc.record({
  ending: fc.constantFrom("\n", "\r\n", "\r"),
  space: fc.boolean(),
  keepAlives: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
});
const streamArb = fc.record({ tokens: fc.array(tokenArb, { minLength: 1, maxLength: 25 }), format: formatArb });
const cutsArb = fc.array(fc.nat(100_000), { maxLength: 16 });
type Stream = typeof streamArb extends fc.Arbitrary<infer T> ? T : never;

function sse(payloads: string[], format: Stream["format"]): Uint8Array {
  const nl = format.ending;
  const parts: string[] = [];
  payloads.forEach((p, i) => {
    if (format.keepAlives[i % format.keepAlives.length]) parts.push(`: ping${nl}${nl}`);
    parts.push(`data:${format.space ? " " : ""}${p}${nl}${nl}`);
  });
  return enc.encode(parts.join(""));
}

/** Each generator returns the bytes, the number of token events in them and the text they carry. */
function chatStream({ tokens, format }: Stream) {
  const payloads = [JSON.stringify({ choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] })];
  for (const t of tokens) {
    const delta = t.reasoning ? { reasoning_content: t.text } : { content: t.text };
    payloads.push(JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: null }] }));
  }
  payloads.push(JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: tokens.length } }), "[DONE]");
  // The role-only delta and every empty delta carry no text.
  return { bytes: sse(payloads, format), count: tokens.length + 1, noText: 1 + tokens.filter((t) => t.text === "").length, text: tokens.map((t) => t.text).join("") };
}

function completionsStream({ tokens, format }: Stream) {
  const payloads = tokens.map((t) => JSON.stringify({ object: "text_completion", choices: [{ index: 0, text: t.text, finish_reason: null }], usage: null }));
  payloads.push(JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: tokens.length } }), "[DONE]");
  return { bytes: sse(payloads, format), count: tokens.length, noText: tokens.filter((t) => t.text === "").length, text: tokens.map((t) => t.text).join("") };
}

function tgiStream({ tokens, format }: Stream) {
  const text = tokens.filter((t) => !t.special).map((t) => t.text).join("");
  const payloads = tokens.map((t, i) => {
    const last = i === tokens.length - 1;
    return JSON.stringify({
      index: i + 1,
      token: { id: i, text: t.text, logprob: -0.5, special: t.special },
      generated_text: last ? text : null,
      details: last ? { finish_reason: "length", generated_tokens: tokens.length, seed: null } : null,
    });
  });
  // Every TGI event carries one generated token (special ones included): none counts as empty.
  return { bytes: sse(payloads, format), count: tokens.length, noText: 0, text };
}

const generators: [BackendPlugin, (s: Stream) => { bytes: Uint8Array; count: number; noText: number; text: string }][] = [
  [openaiChat, chatStream],
  [openai, completionsStream],
  [tgi, tgiStream],
];

for (const [backend, generate] of generators) {
  test(`${backend.name}: token-bearing count, messages without text, and text survive any split`, () => {
    fc.assert(
      fc.property(streamArb, cutsArb, (stream, cuts) => {
        const { bytes, count, noText, text } = generate(stream);
        const got = replay(backend, splitAt(bytes, cuts));
        expect(got.tokenBearing).toBe(count);
        expect(got.kinds.filter(carriesNoText).length).toBe(noText);
        expect(got.text).toBe(text);
        expect(got.ended).toBe(true);
        expect(got.error).toBeUndefined();
        expect(got.outputTokens).toBe(stream.tokens.length);
      }),
      FC,
    );
  });
}

test("random bytes under random splits never make framer + parser throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), cutsArb, (bytes, cuts) => {
      for (const backend of backends) replay(backend, splitAt(bytes, cuts));
    }),
    FC,
  );
});

test("random payloads (JSON of any shape, or none) never make a parser throw", () => {
  const payloadArb = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.json({ maxDepth: 3 }),
    // Right keys, wrong types: the shapes a confused server could send.
    fc
      .record({
        choices: fc.oneof(fc.constant([]), fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 2 }), fc.anything({ maxDepth: 1 })),
        usage: fc.anything({ maxDepth: 2 }),
        token: fc.anything({ maxDepth: 2 }),
        details: fc.anything({ maxDepth: 2 }),
        error: fc.anything({ maxDepth: 2 }),
        generated_text: fc.anything({ maxDepth: 1 }),
      }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o) ?? "null"),
  );
  fc.assert(
    fc.property(fc.array(payloadArb, { maxLength: 8 }), (payloads) => {
      for (const backend of backends) {
        const parser = backend.createParser();
        for (const p of payloads) {
          const kind = parser.onPayload(p);
          expect(kind >= 0 && kind <= 6).toBe(true);
        }
      }
    }),
    FC,
  );
});
