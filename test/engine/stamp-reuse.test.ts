/**
 * A finished request's stamp array serves the next request (src/engine/request.ts):
 * records keep their own copy, so requests that overlap, finish in any order
 * and reuse each other's arrays each keep exactly their own stamps.
 */
import { expect, test } from "bun:test";
import openai from "../../plugins/backends/openai.ts";
import { TimedRequest } from "../../src/engine/request.ts";
import { stampCapacity } from "../../src/engine/stamp-pool.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { completionsRequest } from "../helpers/prepared.ts";

const enc = new TextEncoder();
const prepared = completionsRequest;
const token = (text: string) => enc.encode(`data: {"id":"x","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"${text}","finish_reason":null}]}\n\n`);
const end = enc.encode('data: {"id":"x","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\ndata: [DONE]\n\n');

test("overlapping requests that reuse each other's stamp arrays keep their own stamps", () => {
  const records = new Map<number, RequestRecord>();
  const open = (i: number) => {
    const r = new TimedRequest(i, `r-${i}`, prepared, openai, 0, 0, 0, (_, record) => records.set(i, record));
    r.markSent(0);
    r.onHead(200, "text/event-stream", 0);
    return r;
  };
  const stamp = (r: TimedRequest, at: number) => r.onBody(token(` t${at}`), 0, token(` t${at}`).byteLength, at);
  const finish = (r: TimedRequest, at: number) => {
    r.onBody(end, 0, end.byteLength, at);
    r.onEnd(at);
  };
  // 200 requests, 3 alive at a time, each finishing after a different number of stamps.
  const alive: { r: TimedRequest; i: number; stamps: number[] }[] = [];
  const expected = new Map<number, number[]>();
  for (let i = 0; i < 200; i++) {
    alive.push({ r: open(i), i, stamps: [] });
    for (const a of alive) {
      const at = i * 1000 + a.i + a.stamps.length / 10;
      stamp(a.r, at);
      a.stamps.push(at);
    }
    if (alive.length === 3 || i === 199) {
      const done = alive.splice(i % alive.length, 1)[0]!;
      finish(done.r, i * 1000 + 999);
      expected.set(done.i, done.stamps);
    }
  }
  for (const a of alive) {
    finish(a.r, 1e9);
    expected.set(a.i, a.stamps);
  }
  expect(records.size).toBe(200);
  for (const [i, stamps] of expected) expect({ i, chunkAtMs: Array.from(records.get(i)!.chunkAtMs) }).toEqual({ i, chunkAtMs: stamps });
});

test("stamp arrays come in power-of-two classes, and a stream longer than its class still keeps every stamp", () => {
  expect([1, 4, 5, 16, 17, 258, 4098].map(stampCapacity)).toEqual([4, 4, 8, 16, 32, 512, 8192]);
  // Asked for 8 output tokens (class 16), the server sends 40 messages: the array grows, nothing is lost.
  let record: RequestRecord | null = null;
  const r = new TimedRequest(0, "r-long", prepared, openai, 0, 0, 0, (_, rec) => (record = rec));
  r.markSent(0);
  r.onHead(200, "text/event-stream", 0);
  const stamps = Array.from({ length: 40 }, (_, k) => 1 + k);
  for (const at of stamps) r.onBody(token(" x"), 0, token(" x").byteLength, at);
  r.onBody(end, 0, end.byteLength, 50);
  r.onEnd(50);
  expect(Array.from(record!.chunkAtMs)).toEqual(stamps);
});
