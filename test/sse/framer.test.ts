/** The SSE framer on hand-made byte sequences: one rule of the event-stream format per test. */
import { describe, expect, test } from "bun:test";
import { createSseFramer } from "../../src/wire/sse.ts";

const enc = new TextEncoder();

/** Push each string (or byte array) as one read, then end(); return the events. */
function frame(reads: (string | Uint8Array)[], end = true): string[] {
  const events: string[] = [];
  const framer = createSseFramer((p) => events.push(p));
  for (const r of reads) framer.push(typeof r === "string" ? enc.encode(r) : r);
  if (end) framer.end();
  return events;
}

describe("createSseFramer", () => {
  test("one event per blank line, several events in one read", () => {
    expect(frame(["data: a\n\ndata: b\n\ndata: c\n\n"])).toEqual(["a", "b", "c"]);
  });

  test("no dispatch before the blank line", () => {
    expect(frame(["data: a\n"], false)).toEqual([]);
    expect(frame(["data: a\n", "\n"], false)).toEqual(["a"]);
  });

  test("data lines of one event are joined with \\n", () => {
    expect(frame(["data: {\"a\":\ndata: 1}\n\n"])).toEqual(['{"a":\n1}']);
  });

  test("only one leading space is stripped; no space is fine", () => {
    expect(frame(["data:x\n\ndata: y\n\ndata:  z\n\ndata:\tw\n\n"])).toEqual(["x", "y", " z", "\tw"]);
  });

  test("a bare `data` line or `data:` is an empty data field", () => {
    expect(frame(["data\n\ndata:\n\n"])).toEqual(["", ""]);
    expect(frame(["data\ndata: b\n\n"])).toEqual(["\nb"]);
  });

  test("comments, event/id/retry and unknown fields are ignored", () => {
    const s = ": ping\nevent: message\nid: 42\nretry: 3000\ndatum: no\ndataX: no\nd\nfoo\ndata: yes\n\n";
    expect(frame([s])).toEqual(["yes"]);
  });

  test("an event with no data field dispatches nothing; keep-alive blank lines neither", () => {
    expect(frame(["\n\n\n: keep-alive\n\nevent: ping\n\n\n"])).toEqual([]);
  });

  test("CRLF, CR and LF line endings, mixed", () => {
    expect(frame(["data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n"])).toEqual(["a", "b", "c", "d"]);
  });

  test("CRLF split between reads is one line ending, not a blank line", () => {
    expect(frame(["data: a\r", "\ndata: b\r\n\r\n"])).toEqual(["a\nb"]);
    expect(frame(["data: a\r", "", "\ndata: b\r", "\n\r", "\n"])).toEqual(["a\nb"]);
  });

  test("CR at the end of a read followed by CR is a blank line", () => {
    expect(frame(["data: a\r", "\rdata: b\r\r"])).toEqual(["a", "b"]);
  });

  test("a field split at every position between two reads", () => {
    const s = "data: first\r\ndata: second\r\n\r\n: c\r\ndata:third\n\n";
    for (let i = 0; i <= s.length; i++) {
      expect(frame([s.slice(0, i), s.slice(i)])).toEqual(["first\nsecond", "third"]);
    }
  });

  test("a multi-byte character split inside its bytes", () => {
    const bytes = enc.encode("data: é東🚀\n\n");
    for (let i = 0; i <= bytes.length; i++) {
      expect(frame([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(["é東🚀"]);
    }
  });

  test("end() dispatches a final event that lacked the blank line", () => {
    expect(frame(["data: a\n"])).toEqual(["a"]);
    expect(frame(["data: [DONE]"])).toEqual(["[DONE]"]);
    expect(frame(["data: a\r"])).toEqual(["a"]);
  });

  test("end({ truncated: true }) drops an unterminated fragment but keeps complete lines", () => {
    const run = (reads: string[]) => {
      const events: string[] = [];
      const framer = createSseFramer((p) => events.push(p));
      for (const r of reads) framer.push(enc.encode(r));
      framer.end({ truncated: true });
      return { events, buffered: framer.bufferedBytes };
    };
    expect(run(['data: {"a":1}\n\ndata: {"b":'])).toEqual({ events: ['{"a":1}'], buffered: 0 });
    expect(run(['data: {"a":1}\n'])).toEqual({ events: ['{"a":1}'], buffered: 0 });
    expect(run(["data: x\r"])).toEqual({ events: ["x"], buffered: 0 });
  });

  test("end() drops text that has no data field", () => {
    expect(frame([": ping"])).toEqual([]);
    expect(frame(["event: x\nid: 1"])).toEqual([]);
  });

  test("end() flushes a character cut at the very end as U+FFFD", () => {
    const bytes = enc.encode("data: ab🚀");
    expect(frame([bytes.subarray(0, bytes.length - 1)])).toEqual(["ab\uFFFD"]);
  });

  test("invalid UTF-8 never throws and becomes U+FFFD", () => {
    const bad = new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0xc3, 0x28, 0x0a, 0x0a]);
    expect(frame([bad])).toEqual(["\uFFFD\uFFFD("]);
  });

  test("a leading byte-order mark is skipped", () => {
    expect(frame([new Uint8Array([0xef, 0xbb, 0xbf]), "data: a\n\n"])).toEqual(["a"]);
  });

  test("empty reads change nothing", () => {
    expect(frame(["", "data: a", "", "\n", "", "\n", ""])).toEqual(["a"]);
  });

  test("bufferedBytes counts the held-back partial line and event data", () => {
    const framer = createSseFramer(() => {});
    expect(framer.bufferedBytes).toBe(0);
    framer.push(enc.encode("data: abc"));
    expect(framer.bufferedBytes).toBe(9);
    framer.push(enc.encode("\n"));
    expect(framer.bufferedBytes).toBe(3);
    framer.push(enc.encode("da"));
    expect(framer.bufferedBytes).toBe(5);
    framer.push(enc.encode("ta: x\n\n"));
    expect(framer.bufferedBytes).toBe(0);
  });
});
