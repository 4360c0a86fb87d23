/**
 * One request, one record (src/engine/request.ts): a plugin parser that
 * throws fails its request, and what the end of the stream does after that
 * must not finish it a second time.
 */
import { expect, test } from "bun:test";
import openai from "../../plugins/backends/openai.ts";
import { TimedRequest } from "../../src/engine/request.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { completionsRequest } from "../helpers/prepared.ts";

const enc = new TextEncoder();
const prepared = completionsRequest;

/** The openai backend with a parser that throws on the payload `boom` (a plugin's bug). */
const throwing: BackendPlugin = {
  ...openai,
  createParser() {
    const inner = openai.createParser();
    return {
      state: inner.state,
      onPayload(payload: string) {
        if (payload === "boom") throw new Error("boom");
        return inner.onPayload(payload);
      },
    };
  },
};

// A token, the end marker, then an event with no closing blank line: the framer hands it over only when the body ends.
const body = enc.encode('data: {"choices":[{"index":0,"text":" a","finish_reason":null}]}\n\ndata: [DONE]\n\ndata: boom');

function run(end: (r: TimedRequest) => void): RequestRecord[] {
  const records: RequestRecord[] = [];
  const r = new TimedRequest(0, "r-0", prepared, throwing, 0, 0, 0, (_, record) => records.push(record));
  r.markSent(0);
  r.onHead(200, "text/event-stream", 1);
  r.onBody(body, 0, body.byteLength, 2);
  end(r);
  return records;
}

test("a parser that throws on the last event, handed over as the body ends, fails the request once", () => {
  const records = run((r) => r.onEnd(3));
  expect(records.map((x) => [x.success, x.error?.category, x.error?.message])).toEqual([[false, "stream", "backend parser failed: boom"]]);
});

test("cut before that event's blank line, the request is complete once (an unterminated line is a fragment, not an event)", () => {
  const records = run((r) => r.onFail("truncated", "connection closed", 3));
  expect(records.map((x) => [x.success, x.error?.category, x.chunkAtMs.length])).toEqual([[true, undefined, 1]]);
});
