/**
 * Streams recorded from llama.cpp's llama-server (upstream 34af94cd9, a tiny
 * random-weight llama, model id replaced by `tiny-random-llama`; copied from
 * shared/fixtures/llama.cpp into test/fixtures/streams/llama.cpp). Every
 * file: through framer + parser whole, at every split offset and one byte per
 * read; through a TimedRequest into the record; and over 127.0.0.1 through
 * the HTTP client as the server sent it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import openai from "../../plugins/backends/openai.ts";
import { HttpClient, parseOrigin } from "../../src/engine/http.ts";
import { keepAliveTimeoutMs } from "../../src/wire/http-head.ts";
import { sendTimed, TimedRequest } from "../../src/engine/request.ts";
import { PayloadKind } from "../../src/base/plugin-types.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { sseEvents, timedReplay } from "../helpers/timed-replay.ts";
import { oneBytePieces, replay, splitAt, type ReplaySummary } from "./replay.ts";

const DIR = join(import.meta.dir, "../fixtures/streams/llama.cpp");
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const { Ignore: I, Token: T, Done: D, Error: E, TokenNoText: N, TokenNoTextAndDone: ND } = PayloadKind;
const SERVER_400 = "request (1127 tokens) exceeds the available context size (1024 tokens), try increasing it";

interface Case {
  fixture: string;
  backend: BackendPlugin;
  parsed: ReplaySummary;
}

// Chat: a role chunk with `content: null`, one chunk per token, an empty finish delta, usage on its own, [DONE].
// Completions: one chunk per token, then the finish chunk with empty text and usage (the end marker), [DONE].
const CASES: Case[] = [
  {
    fixture: "chat_stream.sse",
    backend: openaiChat,
    parsed: { kinds: [N, T, T, T, T, T, T, T, T, N, I, D], tokenBearing: 10, text: " blatィ rescind 317 conquesttrop Specialboat", outputTokens: 8, promptTokens: 34, finishReason: "length", ended: true },
  },
  {
    fixture: "chat_stream_utf8model.sse",
    backend: openaiChat,
    parsed: { kinds: [N, T, T, T, T, T, T, N, I, D], tokenBearing: 8, text: " denotesisodespaicorruption pric strengthen", outputTokens: 6, promptTokens: 29, finishReason: "length", ended: true },
  },
  {
    fixture: "chat_stream_error.sse",
    backend: openaiChat,
    parsed: { kinds: [N, T, E], tokenBearing: 2, text: " assassinated", error: "The model produced output that does not match the expected peg-native format", ended: false },
  },
  {
    fixture: "completions_stream.sse",
    backend: openai,
    parsed: { kinds: [T, T, T, T, T, T, T, T, ND, D], tokenBearing: 9, text: " Rivers Koranidas petition Tah apologizinggm Twitch", outputTokens: 8, promptTokens: 7, finishReason: "length", ended: true },
  },
  {
    // Recorded without stream_options.include_usage: llama-server sends usage anyway.
    fixture: "completions_stream_no_usage.sse",
    backend: openai,
    parsed: { kinds: [T, T, T, T, ND, D], tokenBearing: 5, text: " Uni criminal welfitled", outputTokens: 4, promptTokens: 2, finishReason: "length", ended: true },
  },
  {
    fixture: "completions_stream_utf8model.sse",
    backend: openai,
    parsed: { kinds: [T, T, T, T, T, T, ND, D], tokenBearing: 7, text: " rays affiliated notifyfet injuring Invisible", outputTokens: 6, promptTokens: 2, finishReason: "length", ended: true },
  },
];

describe("framer + parser", () => {
  for (const { fixture, backend, parsed } of CASES) {
    describe(fixture, () => {
      const bytes = bytesOf(fixture);
      test("in one read", () => {
        expect(replay(backend, [bytes])).toEqual(parsed);
      });
      test("split in two at every byte offset", () => {
        for (let cut = 0; cut <= bytes.length; cut++) {
          const got = replay(backend, splitAt(bytes, [cut]));
          if (!Bun.deepEquals(got, parsed)) expect({ cut, got }).toEqual({ cut, got: parsed });
        }
      });
      test("one byte per read", () => {
        expect(replay(backend, oneBytePieces(bytes))).toEqual(parsed);
      });
    });
  }
});

/** The record a TimedRequest makes of a response split at `cut`. */
function recordAt(backend: BackendPlugin, bytes: Uint8Array, cut: number, status = 200, contentType = "text/event-stream"): RequestRecord {
  return timedReplay(backend, splitAt(bytes, [cut]), { inputTokens: 5, requestedOutputTokens: 8, status, contentType });
}

describe("records", () => {
  test("successful streams at every split: token counts from usage, finish reasons, messages without text marked", () => {
    for (const { fixture, backend, parsed } of CASES.filter((c) => c.parsed.ended)) {
      const bytes = bytesOf(fixture);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const r = recordAt(backend, bytes, cut);
        const got: Record<string, unknown> = { success: r.success, outputTokens: r.outputTokens, source: r.outputTokenSource, serverInputTokens: r.serverInputTokens, inputTokens: r.inputTokens, finishReason: r.finishReason, text: r.generatedText, chunks: r.chunkAtMs.length };
        const want: Record<string, unknown> = { success: true, outputTokens: parsed.outputTokens, source: "server", serverInputTokens: parsed.promptTokens, inputTokens: 5, finishReason: "length", text: parsed.text, chunks: parsed.tokenBearing };
        if (!Bun.deepEquals(got, want)) expect({ fixture, cut, got }).toEqual({ fixture, cut, got: want });
      }
    }
  });

  test("chat: the role chunk and the finish chunk are the messages without text", () => {
    expect(timedReplay(openaiChat, sseEvents(bytesOf("chat_stream.sse")), { inputTokens: 5, requestedOutputTokens: 8 }).noTextChunks).toEqual([0, 9]);
    expect(timedReplay(openai, sseEvents(bytesOf("completions_stream.sse")), { inputTokens: 5, requestedOutputTokens: 8 }).noTextChunks).toEqual([8]);
  });

  test("the in-stream error is a `stream` failure with the server's message, at every split", () => {
    const bytes = bytesOf("chat_stream_error.sse");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = recordAt(openaiChat, bytes, cut);
      const got: Record<string, unknown> = { success: r.success, error: r.error };
      const want = { success: false, error: { category: "stream", message: "The model produced output that does not match the expected peg-native format" } };
      if (!Bun.deepEquals(got, want)) expect({ cut, got }).toEqual({ cut, got: want });
    }
  });

  test("the context-length 400 is an `http` failure with the server's message, at every split of its body", () => {
    const http = new TextDecoder().decode(bytesOf("chat_stream_ctx_exceeded.http"));
    const body = new TextEncoder().encode(http.slice(http.indexOf("\r\n\r\n") + 4));
    for (let cut = 0; cut <= body.length; cut++) {
      const r = recordAt(openaiChat, body, cut, 400, "application/json; charset=utf-8");
      const got: Record<string, unknown> = { success: r.success, category: r.error?.category, status: r.error?.status, quotesServer: r.error?.message.includes(SERVER_400) };
      const want = { success: false, category: "http", status: 400, quotesServer: true };
      if (!Bun.deepEquals(got, want)) expect({ cut, got, message: r.error?.message }).toEqual({ cut, got: want, message: r.error?.message });
    }
  });
});

describe("over 127.0.0.1, as llama-server sent them", () => {
  const headers = new TextDecoder().decode(bytesOf("chat_stream.headers"));
  /** The recorded head, and the body in the chunked framing it announces: one chunk per event. */
  const chunked = (sse: Uint8Array) =>
    sseEvents(sse)
      .map((e) => `${e.byteLength.toString(16)}\r\n${new TextDecoder().decode(e)}\r\n`)
      .join("") + "0\r\n\r\n";
  const responses: Record<string, string> = {
    "/chat": headers + chunked(bytesOf("chat_stream.sse")),
    "/error": headers + chunked(bytesOf("chat_stream_error.sse")),
    "/ctx": new TextDecoder().decode(bytesOf("chat_stream_ctx_exceeded.http")),
  };
  let server: TCPSocketListener<{ buf: string }>;
  beforeAll(() => {
    server = Bun.listen<{ buf: string }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.data = { buf: "" };
        },
        data(s: Socket<{ buf: string }>, bytes) {
          s.data.buf += new TextDecoder().decode(bytes);
          const path = /^POST (\S+)/.exec(s.data.buf)?.[1];
          if (path && s.data.buf.includes("\r\n\r\n")) {
            s.data.buf = "";
            s.write(responses[path]!);
            if (path === "/ctx") s.end();
          }
        },
      },
    });
  });
  afterAll(() => server.stop(true));

  function send(path: string): Promise<RequestRecord> {
    const origin = parseOrigin(`http://127.0.0.1:${server.port}`);
    const prepared = { head: new TextEncoder().encode(`POST ${path} HTTP/1.1\r\nHost: ${origin.authority}\r\nContent-Length: 0\r\nx-request-id: `), tail: new TextEncoder().encode("\r\n\r\n"), inputTokens: 5, requestedOutputTokens: 8 };
    const client = new HttpClient();
    return new Promise((resolve) => {
      const t0 = performance.now();
      const request = new TimedRequest(0, "r0", prepared, openaiChat, t0, 0, 0, (_, record) => {
        client.closeAll();
        resolve(record);
      });
      sendTimed(client, origin, request, t0);
    });
  }

  test("the head announces llama-server's 5 s keep-alive limit", () => {
    expect(keepAliveTimeoutMs(/^keep-alive: (.*)$/im.exec(headers)?.[1]?.trim())).toBe(5000);
  });

  test("the stream, the in-stream error and the 400", async () => {
    const ok = await send("/chat");
    expect([ok.success, ok.outputTokens, ok.serverInputTokens, ok.finishReason, ok.chunkAtMs.length]).toEqual([true, 8, 34, "length", 10]);
    const error = await send("/error");
    expect(error.error).toEqual({ category: "stream", message: "The model produced output that does not match the expected peg-native format" });
    const ctx = await send("/ctx");
    expect(ctx.error?.category).toBe("http");
    expect(ctx.error?.status).toBe(400);
    expect(ctx.error?.message).toContain(SERVER_400);
  });
});
