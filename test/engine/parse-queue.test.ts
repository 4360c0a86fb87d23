/**
 * Stream payloads are parsed after the reads (src/engine/parse-queue.ts): a
 * read queues its events with its clock, a slice from setImmediate parses
 * them, and a request that ends, fails or is aborted parses its own queue
 * first, so its record is whole at once.
 */
import { expect, test } from "bun:test";
import openai from "../../plugins/backends/openai.ts";
import { TimedRequest } from "../../src/engine/request.ts";
import { prepareRequest } from "../../src/engine/prepare-request.ts";
import { parseOrigin } from "../../src/engine/http.ts";
import { takeReadStalls } from "../../src/engine/read-stalls.ts";
import { PARSE_SLICE_MS } from "../../src/engine/parse-queue.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import type { ResolvedScenario } from "../../src/base/scenario-types.ts";

const enc = new TextEncoder();
const prepared = prepareRequest(
  parseOrigin("http://127.0.0.1:8000"),
  { endpointPath: "/v1/completions", servedModel: "m", sampling: {}, extraBody: {} } as unknown as ResolvedScenario,
  openai,
  {},
  { prompt: "hello", inputTokens: 1, outputTokens: 8 } as never,
  true,
);
const token = (text: string) => enc.encode(`data: {"id":"x","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"${text}","finish_reason":null}]}\n\n`);
const end = enc.encode('data: {"id":"x","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\ndata: [DONE]\n\n');
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The openai backend, its parser counting the payloads it is given (and taking `busyMs` over each). */
function countingBackend(busyMs = 0): { backend: BackendPlugin; parsed: string[] } {
  const parsed: string[] = [];
  const backend: BackendPlugin = {
    ...openai,
    createParser() {
      const inner = openai.createParser();
      return {
        state: inner.state,
        onPayload(payload: string) {
          const until = performance.now() + busyMs;
          while (performance.now() < until);
          parsed.push(payload);
          return inner.onPayload(payload);
        },
      };
    },
  };
  return { backend, parsed };
}

function open(backend: BackendPlugin, index: number, records: RequestRecord[]): TimedRequest {
  const r = new TimedRequest(index, `r-${index}`, prepared, backend, 0, 0, 0, (_, record) => records.push(record));
  r.markSent(0);
  r.onHead(200, "text/event-stream", 0);
  return r;
}

test("a read only queues its events; the parse comes after the reads, each message stamped with its own read's clock", async () => {
  const { backend, parsed } = countingBackend();
  const records: RequestRecord[] = [];
  const r = open(backend, 0, records);
  r.onBody(token(" a"), 0, token(" a").byteLength, 10);
  r.onBody(token(" b"), 0, token(" b").byteLength, 20);
  expect(parsed).toHaveLength(0);
  await nextTurn();
  expect(parsed).toHaveLength(2);
  r.onBody(end, 0, end.byteLength, 30);
  r.onEnd(31);
  expect(records).toHaveLength(1);
  expect(Array.from(records[0]!.chunkAtMs)).toEqual([10, 20]);
  expect(records[0]!.generatedText).toBe(" a b");
});

test("a request that ends parses its own queue at once: the record never waits for a slice", () => {
  const { backend } = countingBackend();
  const records: RequestRecord[] = [];
  const r = open(backend, 0, records);
  for (const at of [5, 6, 7]) r.onBody(token(" x"), 0, token(" x").byteLength, at);
  r.onBody(end, 0, end.byteLength, 8);
  r.onEnd(9);
  expect(records).toHaveLength(1);
  expect(records[0]!.success).toBe(true);
  expect(Array.from(records[0]!.chunkAtMs)).toEqual([5, 6, 7]);
  expect(records[0]!.outputTokens).toBe(2);
});

test("a timeout or a cut connection keeps every message read before it", () => {
  const { backend } = countingBackend();
  const records: RequestRecord[] = [];
  const timedOut = open(backend, 0, records);
  timedOut.onBody(token(" a"), 0, token(" a").byteLength, 3);
  timedOut.onBody(token(" b"), 0, token(" b").byteLength, 4);
  timedOut.abort("timeout", "no byte for 1 s", 1004);
  const cut = open(backend, 1, records);
  cut.onBody(token(" c"), 0, token(" c").byteLength, 7);
  cut.onFail("truncated", "the connection closed mid-body", 8);
  expect(records.map((r) => [r.error?.category, Array.from(r.chunkAtMs)])).toEqual([
    ["timeout", [3, 4]],
    ["truncated", [7]],
  ]);
});

test("slow parses are spread over several turns of the loop, in the order read, each slice counted as a stall", async () => {
  // Each parse takes 1 ms, four times a slice: a slice stops at its first check (every 8 requests).
  const { backend, parsed } = countingBackend(4 * PARSE_SLICE_MS);
  const records: RequestRecord[] = [];
  const requests = Array.from({ length: 40 }, (_, i) => open(backend, i, records));
  await nextTurn(); // the earlier tests' finished requests leave the queue
  takeReadStalls();
  requests.forEach((r, i) => r.onBody(token(` t${i}`), 0, token(` t${i}`).byteLength, i));
  await nextTurn();
  expect(parsed).toHaveLength(8);
  while (parsed.length < 40) await nextTurn();
  expect(parsed.map((p) => /"text":" t(\d+)"/.exec(p)![1])).toEqual(requests.map((_, i) => String(i)));
  const stalls = takeReadStalls();
  expect(stalls.reads).toBe(5);
  expect(stalls.over1Ms).toBe(5);
  for (const r of requests) r.abort("cancelled", "test over", 100);
  expect(records.every((r) => r.chunkAtMs.length === 1)).toBe(true);
});
