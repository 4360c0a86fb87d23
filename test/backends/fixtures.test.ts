/**
 * Recorded streams through framer + parser, whole and split at every byte
 * offset, in one-byte reads and at random multi-splits: the outcome must not
 * depend on how TCP cut the bytes.
 */
import { describe, expect, test } from "bun:test";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import tgi from "../../plugins/backends/tgi.ts";
import { createRng } from "../../src/base/rng.ts";
import { PayloadKind } from "../../src/base/plugin-types.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import { loadFixture, oneBytePieces, randomCuts, replay, splitAt } from "./replay.ts";
import type { ReplaySummary } from "./replay.ts";

const { Ignore: I, Token: T, Done: D, Error: E, TokenAndDone: TD, TokenNoText: N } = PayloadKind;

const chatBasic: ReplaySummary = {
  kinds: [N, T, T, T, T, T, I, D],
  tokenBearing: 6,
  text: "Bonjour à 東京 🚀!",
  outputTokens: 5,
  promptTokens: 12,
  finishReason: "length",
  ended: true,
};
// Comments, retry/event/id fields, extra blank lines, a two-line data event.
const chatKeepalive: ReplaySummary = {
  kinds: [N, T, T, I, D],
  tokenBearing: 3,
  text: "multi-line",
  outputTokens: 3,
  promptTokens: 3,
  finishReason: "stop",
  ended: true,
};
const completionsBasic: ReplaySummary = {
  kinds: [T, T, N, T, T, I, D],
  tokenBearing: 5,
  text: " The quick brown fox",
  outputTokens: 5,
  promptTokens: 4,
  finishReason: "length",
  ended: true,
};
const tgiBasic: ReplaySummary = {
  kinds: [T, T, T, TD],
  tokenBearing: 4,
  text: " The café ☕",
  outputTokens: 4,
  finishReason: "eos_token",
  ended: true,
};
const tgiError: ReplaySummary = {
  kinds: [T, T, E],
  tokenBearing: 2,
  text: " The end",
  error: "generation: Request failed during generation: Server error: CUDA out of memory. Tried to allocate 2.00 GiB",
  ended: false,
};

const cases: [fixture: string, backend: BackendPlugin, expected: ReplaySummary][] = [
  ["chat-basic.sse", openaiChat, chatBasic],
  ["chat-basic.crlf.sse", openaiChat, chatBasic],
  [
    "chat-reasoning.sse",
    openaiChat,
    {
      kinds: [N, T, T, T, T, T, I, D],
      tokenBearing: 6,
      text: "Let me think.Answer: 42",
      outputTokens: 6,
      promptTokens: 9,
      finishReason: "stop",
      ended: true,
    },
  ],
  ["chat-keepalive.sse", openaiChat, chatKeepalive],
  ["chat-keepalive.crlf.sse", openaiChat, chatKeepalive],
  [
    "chat-error.sse",
    openaiChat,
    {
      kinds: [N, T, E, D],
      tokenBearing: 2,
      text: "Hi",
      error: "EngineCore encountered an issue. See stack trace for the root cause.",
      ended: true,
    },
  ],
  ["completions-basic.sse", openai, completionsBasic],
  ["completions-basic.cr.sse", openai, completionsBasic],
  [
    "completions-usage-every-chunk.sse",
    openai,
    { kinds: [T, T, TD, I, D], tokenBearing: 3, text: " one two three", outputTokens: 3, promptTokens: 7, finishReason: "length", ended: true },
  ],
  [
    "completions-error.sse",
    openai,
    {
      kinds: [E, D],
      tokenBearing: 0,
      text: "",
      error: "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (100 in the messages, 2000 in the completion).",
      ended: true,
    },
  ],
  ["tgi-basic.sse", tgi, tgiBasic],
  ["tgi-basic.crlf.sse", tgi, tgiBasic],
  ["tgi-error.sse", tgi, tgiError],
  ["tgi-error.crlf.sse", tgi, tgiError],
  ["tgi-truncated.sse", tgi, { kinds: [T, T, T], tokenBearing: 3, text: " The end is", ended: false }],
  [
    // The body ends inside an event: the partial line is still handed over
    // (as vLLM's client does), so it surfaces as malformed JSON.
    "tgi-truncated-midline.sse",
    tgi,
    {
      kinds: [T, T, T, E],
      tokenBearing: 3,
      text: " The end is",
      error: 'malformed JSON in stream: {"index":4,"token":{"id":1461,"text":" ne',
      ended: false,
    },
  ],
];

describe("recorded streams", () => {
  for (const [fixture, backend, expected] of cases) {
    describe(`${fixture} (${backend.name})`, () => {
      const bytes = loadFixture(fixture);

      test("in one read", () => {
        expect(replay(backend, [bytes])).toEqual(expected);
      });

      test("split in two at every byte offset", () => {
        for (let cut = 0; cut <= bytes.length; cut++) {
          const got = replay(backend, splitAt(bytes, [cut]));
          if (!Bun.deepEquals(got, expected)) expect({ cut, got }).toEqual({ cut, got: expected });
        }
      });

      test("one byte per read", () => {
        expect(replay(backend, oneBytePieces(bytes))).toEqual(expected);
      });

      test("random multi-splits", () => {
        const rng = createRng(7, fixture);
        for (let i = 0; i < 300; i++) {
          const cuts = randomCuts(rng, bytes.length, 12);
          const got = replay(backend, splitAt(bytes, cuts));
          if (!Bun.deepEquals(got, expected)) expect({ cuts, got }).toEqual({ cuts, got: expected });
        }
      });
    });
  }
});

describe("a connection cut mid-event (framer.end({ truncated: true }))", () => {
  test("tgi-truncated-midline.sse reads as truncated at every split, not as malformed JSON", () => {
    const bytes = loadFixture("tgi-truncated-midline.sse");
    const expected = { kinds: [T, T, T], tokenBearing: 3, text: " The end is", ended: false };
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got = replay(tgi, splitAt(bytes, [cut]), { truncated: true });
      if (!Bun.deepEquals(got, expected)) expect({ cut, got }).toEqual({ cut, got: expected });
    }
  });
});
