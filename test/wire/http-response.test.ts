/**
 * The HTTP/1.1 response framing (src/wire/http-response.ts) on hand-made
 * responses, one rule per test, each fed whole, split in two at every byte
 * offset, and one byte per read: the outcome must not depend on how the
 * socket cut the bytes. Random responses and splits: test/fuzz/http-framing.property.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { Framed, ResponseFraming } from "../../src/wire/http-response.ts";
import { HEAD_FIELDS, readHeadFields, statusOf } from "../../src/wire/http-head.ts";

const enc = new TextEncoder();

interface Outcome {
  heads: { status: number; contentType: string }[];
  body: string;
  /** The result of each push, in order. */
  results: Framed[];
  error: string;
  keepAlive: boolean;
  keepAliveTimeoutMs: number;
  /** What close() said after the last read (true: the close ended the body). */
  closeEnds?: boolean;
}

function feed(reads: Uint8Array[], close = false): Outcome {
  const heads: Outcome["heads"] = [];
  const body: number[] = [];
  const framing = new ResponseFraming({
    onHead: (status, contentType) => heads.push({ status, contentType }),
    onBody: (bytes, start, end) => body.push(...bytes.subarray(start, end)),
  });
  const results = reads.map((r) => framing.push(r));
  const out: Outcome = { heads, body: Buffer.from(body).toString("latin1"), results, error: framing.error, keepAlive: framing.keepAlive, keepAliveTimeoutMs: framing.keepAliveTimeoutMs };
  if (close) out.closeEnds = framing.close();
  return out;
}

/** Every way to read `text`: whole, two reads split at each offset, one byte per read. */
function splits(text: string): Uint8Array[][] {
  const bytes = enc.encode(text);
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.byteLength; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return out;
}

/** The outcome with, instead of the per-read results, the first that was not More (the response's fate). */
function settle(o: Outcome) {
  const { results, ...rest } = o;
  return { ...rest, result: results.find((r) => r !== Framed.More) ?? Framed.More };
}

/** Read one byte at a time: every read but the last says More, the last says Complete. */
function completesOnLastByte(text: string): boolean {
  const { results } = feed(splits(text).at(-1)!);
  return results.at(-1) === Framed.Complete && results.slice(0, -1).every((r) => r === Framed.More);
}

/** Every split gives the same settled outcome; returns it. */
function everySplit(text: string, close = false) {
  const [first, ...others] = splits(text).map((reads) => settle(feed(reads, close)));
  for (const o of others) expect(o).toEqual(first!);
  return first!;
}

const SSE_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

describe("chunked bodies", () => {
  test("chunks with upper-case hex, padding, blanks and extensions, then trailers: the exact body, complete on the last byte", () => {
    const [e0, e1, e23] = ['data: {"n":0}\n\n', 'data: {"n":1}\n\n', 'data: {"n":2}\n\ndata: {"n":3}'];
    const size = (s: string) => enc.encode(s).byteLength.toString(16);
    const text = `${SSE_HEAD}${size(e0)}\r\n${e0}\r\n00${size(e1)} ;x=1\r\n${e1}\r\n${size(e23).toUpperCase()}\t\r\n${e23}\r\n0\r\nX-Trailer: 1\r\n\r\n`;
    expect(size(e23)).toMatch(/[a-f]/);
    const o = everySplit(text);
    expect(o.heads).toEqual([{ status: 200, contentType: "text/event-stream" }]);
    expect(o.body).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}');
    expect(o.result).toBe(Framed.Complete);
    expect(completesOnLastByte(text)).toBe(true);
    expect(o.keepAlive).toBe(true);
  });

  test("bare LF line ends are accepted", () => {
    const o = everySplit("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n");
    expect(o.body).toBe("abc");
    expect(o.result).toBe(Framed.Complete);
  });

  test("the response is not complete before the empty line after the last chunk", () => {
    const text = `${SSE_HEAD}3\r\nabc\r\n0\r\n`;
    for (const reads of splits(text)) expect(feed(reads).results.every((r) => r === Framed.More)).toBe(true);
    expect(everySplit(text, true)).toMatchObject({ body: "abc", closeEnds: false });
  });

  for (const bad of ["-5", "0x10", "+3", "", " 3", "3 3", "z", "\u00ff"]) {
    test(`chunk size ${JSON.stringify(bad)} is malformed, after the chunks before it`, () => {
      const o = everySplit(`${SSE_HEAD}3\r\nabc\r\n${bad}\r\ndefgh\r\n0\r\n\r\n`);
      expect(o.body).toBe("abc");
      expect(o.result).toBe(Framed.Malformed);
      expect(o.error).toStartWith("malformed chunk size");
    });
  }

  test("a CR inside the size line not followed by LF is malformed", () => {
    expect(everySplit(`${SSE_HEAD}3\rx\nabc\r\n0\r\n\r\n`).result).toBe(Framed.Malformed);
  });

  test("a chunk size past 2^48 bytes is malformed (its digits would not stay exact)", () => {
    const o = everySplit(`${SSE_HEAD}1000000000000\r\nabc`);
    expect(o).toMatchObject({ result: Framed.Malformed, error: "malformed chunked encoding: chunk size too large", body: "" });
  });

  test("data longer than its chunk size is malformed", () => {
    const o = everySplit(`${SSE_HEAD}2\r\nabc\r\n0\r\n\r\n`);
    expect(o).toMatchObject({ body: "ab", result: Framed.Malformed });
  });
});

describe("Content-Length and close-delimited bodies", () => {
  test("Content-Length: the exact body, complete on its last byte; bytes after it are not part of it", () => {
    const o = everySplit("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    expect(o).toMatchObject({ body: "hello", result: Framed.Complete });
    expect(completesOnLastByte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")).toBe(true);
    const extra = feed([enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"), enc.encode("more")]);
    expect(extra).toMatchObject({ body: "hello", results: [Framed.Complete, Framed.Complete] });
  });

  test("Content-Length: 0, 204 and 304 complete with the head", () => {
    for (const head of ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n"]) {
      expect(everySplit(head)).toMatchObject({ body: "", result: Framed.Complete });
      expect(completesOnLastByte(head)).toBe(true);
    }
  });

  test("a Content-Length that is not a number is malformed", () => {
    expect(everySplit("HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\nabc").result).toBe(Framed.Malformed);
  });

  test("no length and no chunking: the body runs until the close, which ends it cleanly; the connection is not kept", () => {
    const o = everySplit("HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\n\r\nall of it", true);
    expect(o).toMatchObject({ body: "all of it", result: Framed.More, closeEnds: true, keepAlive: false });
    expect(o.heads.map((h) => h.status)).toEqual([500]);
  });
});

describe("the head", () => {
  test("an interim 100 Continue is skipped: one head, the final one", () => {
    const o = everySplit("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    expect(o.heads.map((h) => h.status)).toEqual([200]);
    expect(o).toMatchObject({ body: "ok", result: Framed.Complete });
  });

  test("header names in any case, values trimmed, lines without a colon ignored", () => {
    const o = everySplit("HTTP/1.1 404 Not Found\r\nX-Thing:   a b  \r\nno colon here\r\nCONTENT-type: \t text/plain; charset=utf-8 \r\ncontent-LENGTH: 0\r\n\r\n");
    expect(o.heads).toEqual([{ status: 404, contentType: "text/plain; charset=utf-8" }]);
    expect(o.result).toBe(Framed.Complete);
  });

  test("the headers the client reads, from the bytes: the last of a repeated one; names that only start or end alike are others", () => {
    const head = enc.encode(
      "HTTP/1.1 200 OK\r\nX-Content-Type: no\r\nContent-Type2: no\r\nContent-Type: a\r\nTransfer-Encoding: gzip\r\ntransfer-encoding:chunked\r\n" +
        "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length:\r\nDate: x\r\n\r\n",
    );
    const values = readHeadFields(head, 0, head.byteLength);
    expect(Object.fromEntries(HEAD_FIELDS.map((name, k) => [name, values[k]]))).toEqual({
      "content-type": "a",
      "content-length": "",
      "transfer-encoding": "chunked",
      connection: "keep-alive",
      "keep-alive": "timeout=5",
    });
    expect(readHeadFields(enc.encode("HTTP/1.1 204 No Content\r\n\r\n"), 0, 27)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test("the status line: HTTP/1.0 or 1.1, a space, three digits", () => {
    const status = (line: string) => statusOf(enc.encode(line), 0, line.length);
    expect([status("HTTP/1.1 200 OK\r\n"), status("HTTP/1.0 404 x\r\n"), status("HTTP/1.1 20x OK\r\n"), status("HTTP/2.0 200 OK\r\n"), status("HTTP/1.1  200\r\n"), status("HTTP/1.1 2")]).toEqual([200, 404, -1, -1, -1, -1]);
  });

  test("keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive; Keep-Alive: timeout in ms", () => {
    const keep = (head: string) => everySplit(`${head}Content-Length: 0\r\n\r\n`);
    expect(keep("HTTP/1.1 200 OK\r\n")).toMatchObject({ keepAlive: true, keepAliveTimeoutMs: Infinity });
    expect(keep("HTTP/1.1 200 OK\r\nConnection: close\r\n").keepAlive).toBe(false);
    expect(keep("HTTP/1.0 200 OK\r\n").keepAlive).toBe(false);
    expect(keep("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=5, max=100\r\n")).toMatchObject({ keepAlive: true, keepAliveTimeoutMs: 5000 });
  });

  test("a status line that is not HTTP/1.x is malformed, before any head reaches the handler", () => {
    for (const text of ["HTTP/2 200\r\n\r\n", "hello\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1200 OK\r\n\r\n", "HTTP/1.1 \r\n\r\n"]) {
      expect(everySplit(text)).toMatchObject({ heads: [], result: Framed.Malformed, error: "malformed HTTP response head" });
    }
  });

  test("a head over 64 KiB without its end is malformed", () => {
    const framing = new ResponseFraming({ onHead() {}, onBody() {} });
    const line = enc.encode(`X-Pad: ${"a".repeat(1000)}\r\n`);
    expect(framing.push(enc.encode("HTTP/1.1 200 OK\r\n"))).toBe(Framed.More);
    let result: Framed = Framed.More;
    for (let i = 0; i < 70 && result === Framed.More; i++) result = framing.push(line);
    expect(result).toBe(Framed.Malformed);
    expect(framing.error).toBe("response headers larger than 64 KiB");
  });
});

describe("the caller", () => {
  test("started turns true with the first read, even an empty one", () => {
    const framing = new ResponseFraming({ onHead() {}, onBody() {} });
    expect(framing.started).toBe(false);
    framing.push(new Uint8Array(0));
    expect(framing.started).toBe(true);
  });

  test("stop() from inside onBody: no further callback, later reads do nothing", () => {
    const bodies: string[] = [];
    const framing: ResponseFraming = new ResponseFraming({
      onHead() {},
      onBody: (bytes, start, end) => {
        bodies.push(Buffer.from(bytes.subarray(start, end)).toString());
        framing.stop();
      },
    });
    const text = `${SSE_HEAD}1\r\na\r\n1\r\nb\r\n0\r\n\r\n`;
    expect(framing.push(enc.encode(text))).toBe(Framed.More);
    expect(framing.push(enc.encode("1\r\nc\r\n"))).toBe(Framed.More);
    expect(bodies).toEqual(["a"]);
    expect(framing.done).toBe(true);
  });

  test("body bytes are handed over as the read itself and the chunk's offsets: no copy, no view", () => {
    const seen: [Uint8Array, number, number][] = [];
    const framing = new ResponseFraming({ onHead() {}, onBody: (b, start, end) => seen.push([b, start, end]) });
    framing.push(enc.encode(`${SSE_HEAD}5\r\n`));
    const data = enc.encode("hello");
    framing.push(data);
    const next = enc.encode("\r\n3\r\nabc\r\n");
    framing.push(next);
    expect(seen).toEqual([
      [data, 0, 5],
      [next, 5, 8],
    ]);
    expect(seen[0]![0]).toBe(data);
    expect(seen[1]![0]).toBe(next);
  });
});
