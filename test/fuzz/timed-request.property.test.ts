/**
 * Property tests of one timed request (src/engine/request.ts), the place where
 * HTTP framing, the SSE framer, a backend parser and the record meet: under
 * any split of any bytes, and whether the response ends cleanly or is cut,
 * exactly one record comes out, nothing throws, and its success and failure
 * category follow the definitions of spec/metrics.md.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import tgi from "../../plugins/backends/tgi.ts";
import { TimedRequest, type PreparedRequest } from "../../src/engine/request.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { splitAt as splitBytes } from "../backends/replay.ts";

const FC = { seed: 20240607, numRuns: 300 };
const enc = new TextEncoder();
const CATEGORIES = ["connect", "timeout", "http", "stream", "truncated", "cancelled"];
const prepared: PreparedRequest = { head: new Uint8Array(), tail: new Uint8Array(), inputTokens: 8, requestedOutputTokens: 4 };

/** The shared splitter, with cuts from fast-check wrapped into the byte range (duplicates make empty reads). */
const splitAt = (bytes: Uint8Array, cuts: number[]) => splitBytes(bytes, cuts.map((c) => c % (bytes.byteLength + 1)));

interface Drive {
  backend: BackendPlugin;
  status: number;
  contentType: string;
  body: Uint8Array;
  cuts: number[];
  /** How the exchange ends: cleanly, cut, or never (the sweeper's timeout). */
  ending: "end" | "cut" | "timeout";
}

/** Feed one response through a TimedRequest; every record it produced. */
function drive(d: Drive): RequestRecord[] {
  const records: RequestRecord[] = [];
  const request = new TimedRequest(0, "id-0", prepared, d.backend, 0, 0, 0, (_, record) => records.push(record));
  request.markSent(0);
  let now = 1;
  request.onHead(d.status, d.contentType, now);
  for (const part of splitAt(d.body, d.cuts)) request.onBody(part, 0, part.byteLength, ++now);
  if (d.ending === "end") request.onEnd(++now);
  else if (d.ending === "cut") request.onFail("truncated", "connection closed before the response ended", ++now);
  else request.abort("timeout", "no data", ++now);
  // A late callback after the outcome (a socket closing) changes nothing.
  request.onFail("truncated", "late", ++now);
  return records;
}

const driveArb = fc.record({
  backend: fc.constantFrom(openaiChat, tgi),
  status: fc.constantFrom(200, 200, 200, 429, 500),
  contentType: fc.constantFrom("text/event-stream", "application/json"),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.array(fc.constantFrom("data: ", "data:", "{", "}", '"choices":[{"delta":{"content":"a"}}]', '"token":{"text":"b"}', "[DONE]", "\n", "\r\n", ":", "\xff", "\x1b[31m", '{"error":"\x1b]0;t\x07"}'), { maxLength: 40 }).map((a) => enc.encode(a.join(""))),
  ),
  cuts: fc.array(fc.nat(10_000), { maxLength: 12 }),
  ending: fc.constantFrom("end", "cut", "timeout"),
}) as fc.Arbitrary<Drive>;

test("any bytes, any split, any ending: exactly one record, never an exception, a valid outcome", () => {
  fc.assert(
    fc.property(driveArb, (d) => {
      const records = drive(d);
      expect(records).toHaveLength(1);
      const r = records[0]!;
      if (r.success) {
        expect(d.status).toBe(200);
        expect(d.ending).not.toBe("timeout");
        expect(r.chunkAtMs.length).toBeGreaterThan(0);
        expect(r.error).toBeUndefined();
      } else {
        expect(CATEGORIES).toContain(r.error!.category);
        // Messages quote the server: never a control sequence in them (the raw body is kept apart).
        expect(r.error!.message).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
        if (d.status !== 200 && d.ending !== "timeout") expect(r.error!.category).toBe("http");
      }
    }),
    FC,
  );
});

test("a valid chat stream under any split: success with one chunk time per token-bearing event and the server's count", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(10_000), { maxLength: 12 }), (tokens, cuts) => {
      const events = [{ choices: [{ index: 0, delta: { role: "assistant" } }] }, ...tokens.map((t) => ({ choices: [{ index: 0, delta: { content: t } }] }))];
      events.push({ choices: [], usage: { prompt_tokens: 8, completion_tokens: tokens.length } } as never);
      const body = enc.encode(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n");
      const [r] = drive({ backend: openaiChat, status: 200, contentType: "text/event-stream", body, cuts, ending: "end" });
      expect(r!.success).toBe(true);
      expect(r!.chunkAtMs.length).toBe(tokens.length + 1);
      expect(r!.outputTokens).toBe(tokens.length);
      expect(r!.generatedText ?? "").toBe(tokens.join(""));
    }),
    FC,
  );
});

test("the same stream cut before [DONE] is truncated, never a success", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.nat(10_000), { maxLength: 12 }), (n, cuts) => {
      const events = Array.from({ length: n }, () => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "x" } }] })}\n\n`);
      const [r] = drive({ backend: openaiChat, status: 200, contentType: "text/event-stream", body: enc.encode(events.join("")), cuts, ending: "cut" });
      expect(r!.success).toBe(false);
      expect(r!.error!.category).toBe("truncated");
    }),
    FC,
  );
});

test("an error body under any split: its first 1 KiB kept, characters split across reads intact", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 700 }), fc.array(fc.nat(10_000), { maxLength: 12 }), (text, cuts) => {
      const body = enc.encode(text);
      const [r] = drive({ backend: openaiChat, status: 503, contentType: "application/json", body, cuts, ending: "end" });
      expect(r!.error!.category).toBe("http");
      expect(r!.error!.status).toBe(503);
      expect(r!.error!.body).toBe(new TextDecoder().decode(body.subarray(0, 1024)));
      expect(r!.error!.message).toStartWith("HTTP 503: ");
    }),
    FC,
  );
});
