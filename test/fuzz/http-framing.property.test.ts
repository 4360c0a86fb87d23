/**
 * Property tests of the HTTP response framing (src/wire/http-response.ts):
 * the chunked and Content-Length state machines fed a response split at
 * random points, exactly as socket reads would deliver it. The framing is a
 * pure parser, so every split is exact (a real loopback socket may merge
 * writes); the client on real sockets is covered by test/engine/http.test.ts.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { Framed, ResponseFraming } from "../../src/wire/http-response.ts";
import { splitAt as splitBytes } from "../backends/replay.ts";

const FC = { seed: 424242, numRuns: 400 };
const enc = new TextEncoder();

interface Outcome {
  status: number[];
  /** The body as hex: cheap to compare and to print when a property fails. */
  body: string;
  ends: number;
  fails: { kind: string; message: string }[];
}

/** A fresh framing and how to feed it reads, as the client's socket handler does: nothing after the response ended. */
function exchange(): { feed(bytes: Uint8Array): void; outcome: Outcome } {
  const outcome: Outcome = { status: [], body: "", ends: 0, fails: [] };
  const framing = new ResponseFraming({
    onHead: (status) => outcome.status.push(status),
    onBody: (bytes, start, end) => (outcome.body += Buffer.from(bytes.subarray(start, end)).toString("hex")),
  });
  return {
    feed: (bytes) => {
      if (framing.done) return;
      const framed = framing.push(bytes);
      if (framed === Framed.Complete) outcome.ends++;
      else if (framed === Framed.Malformed) outcome.fails.push({ kind: "truncated", message: framing.error });
    },
    outcome,
  };
}

/** The shared splitter, with cuts from fast-check wrapped into the byte range (duplicates make empty reads). */
const splitAt = (bytes: Uint8Array, cuts: number[]) => splitBytes(bytes, cuts.map((c) => c % (bytes.byteLength + 1)));

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const hex = (parts: Uint8Array[]) => Buffer.concat(parts).toString("hex");

const chunkArb = fc.record({
  data: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  upper: fc.boolean(),
  pad: fc.boolean(),
  extension: fc.constantFrom("", ";x=1", ';name="v"'),
});
const responseArb = fc.record({
  chunks: fc.array(chunkArb, { maxLength: 12 }),
  trailers: fc.constantFrom("", "X-Trailer: 1\r\n"),
  cuts: fc.array(fc.nat(10_000), { maxLength: 20 }),
});

function chunked(chunks: { data: Uint8Array; upper: boolean; pad: boolean; extension: string }[], trailers: string): Uint8Array {
  const parts: Uint8Array[] = [enc.encode("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")];
  for (const c of chunks) {
    let size = c.data.byteLength.toString(16);
    if (c.upper) size = size.toUpperCase();
    if (c.pad) size = `00${size}`;
    parts.push(enc.encode(`${size}${c.extension}\r\n`), c.data, enc.encode("\r\n"));
  }
  parts.push(enc.encode(`0\r\n${trailers}\r\n`));
  return concat(parts);
}

test("a valid chunked response under any split: the exact body, one clean end", () => {
  fc.assert(
    fc.property(responseArb, ({ chunks, trailers, cuts }) => {
      const { feed, outcome } = exchange();
      for (const part of splitAt(chunked(chunks, trailers), cuts)) feed(part);
      expect(outcome.status).toEqual([200]);
      expect(outcome.body).toBe(hex(chunks.map((c) => c.data)));
      expect(outcome.ends).toBe(1);
      expect(outcome.fails).toEqual([]);
    }),
    FC,
  );
});

test("a Content-Length response under any split, with extra bytes after it: the exact body, one clean end", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 20 }), fc.array(fc.nat(10_000), { maxLength: 20 }), (body, extra, cuts) => {
      const { feed, outcome } = exchange();
      const head = enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.byteLength}\r\n\r\n`);
      for (const part of splitAt(concat([head, body, extra]), cuts)) feed(part);
      expect(outcome.body).toBe(hex([body]));
      expect(outcome.ends).toBe(1);
      expect(outcome.fails).toEqual([]);
    }),
    FC,
  );
});

test("a bad chunk-size line fails the response, after delivering only the chunks before it", () => {
  const badSize = fc.constantFrom("-5", "0x10", "zz", "", " ", "+3", "1 2x", "\u00ff");
  fc.assert(
    fc.property(responseArb, badSize, fc.nat(12), ({ chunks, cuts }, bad, at) => {
      const good = chunks.slice(0, Math.min(at, chunks.length));
      const bytes = concat([chunked(good, "").subarray(0, -5), enc.encode(`${bad}\r\nabcdefgh\r\n0\r\n\r\n`)]);
      const { feed, outcome } = exchange();
      for (const part of splitAt(bytes, cuts)) feed(part);
      expect(outcome.ends).toBe(0);
      expect(outcome.fails).toHaveLength(1);
      expect(outcome.fails[0]!.kind).toBe("truncated");
      expect(outcome.body).toBe(hex(good.map((c) => c.data)));
    }),
    FC,
  );
});

test("random bytes after a valid head never throw and end the exchange at most once", () => {
  const head = fc.constantFrom("Transfer-Encoding: chunked", "Content-Length: 17", "Connection: close");
  fc.assert(
    fc.property(head, fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(10_000), { maxLength: 20 }), (framing, junk, cuts) => {
      const { feed, outcome } = exchange();
      const bytes = concat([enc.encode(`HTTP/1.1 200 OK\r\n${framing}\r\n\r\n`), junk]);
      for (const part of splitAt(bytes, cuts)) feed(part);
      expect(outcome.ends + outcome.fails.length).toBeLessThanOrEqual(1);
      expect(outcome.body.length / 2).toBeLessThanOrEqual(junk.byteLength);
    }),
    FC,
  );
});

test("random bytes as the whole response never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(10_000), { maxLength: 20 }), (junk, cuts) => {
      const { feed, outcome } = exchange();
      for (const part of splitAt(junk, cuts)) feed(part);
      expect(outcome.ends + outcome.fails.length).toBeLessThanOrEqual(1);
      expect(outcome.status.length).toBeLessThanOrEqual(1);
    }),
    FC,
  );
});

test("a close-delimited body under any split: every byte, no end until the close, which ends it cleanly", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(10_000), { maxLength: 20 }), (body, cuts) => {
      const outcome: Outcome = { status: [], body: "", ends: 0, fails: [] };
      const framing = new ResponseFraming({ onHead: (s) => outcome.status.push(s), onBody: (b, start, end) => (outcome.body += Buffer.from(b.subarray(start, end)).toString("hex")) });
      const head = enc.encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
      const results = splitAt(concat([head, body]), cuts).map((part) => framing.push(part));
      expect(results.every((r) => r === Framed.More)).toBe(true);
      expect(framing.close()).toBe(true);
      expect(outcome.body).toBe(hex([body]));
      expect(framing.keepAlive).toBe(false);
    }),
    FC,
  );
});
