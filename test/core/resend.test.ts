/**
 * A request whose kept-alive connection closes before any byte of a response
 * is sent once more on a new connection, and the record says so (issue 17:
 * no silent re-send). Against a raw TCP server on 127.0.0.1 that answers the
 * first request of each connection and closes the connection, without a
 * byte, on the next one; and through the summary, benchmark_results.json,
 * the report and requests.jsonl.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import { HttpClient, parseOrigin } from "../../src/core/http.ts";
import { summarize } from "../../src/core/metrics.ts";
import { parseRecordLine } from "../../src/core/record-line.ts";
import { recordToJsonLine } from "../../src/core/record-log.ts";
import { formatExtras } from "../../src/core/report.ts";
import { sendTimed, TimedRequest, type PreparedRequest } from "../../src/core/request.ts";
import { buildBenchmarkResults, formatJson } from "../../src/core/result-docs.ts";
import type { RequestRecord } from "../../src/core/types.ts";
import { sampleResult } from "../exporters/sample-result.ts";
import { client as clientStats, record } from "./summary-fixtures.ts";

const enc = new TextEncoder();

interface Arrival {
  connection: number;
  /** 1 for the first request on its connection. */
  nth: number;
  requestId: string;
  /** performance.now() when the whole request had arrived. */
  atMs: number;
  dropped: boolean;
}

const SSE = [
  { choices: [{ index: 0, delta: { role: "assistant" } }] },
  { choices: [{ index: 0, delta: { content: "hi" } }] },
  { choices: [{ index: 0, delta: { content: " there" }, finish_reason: "stop" }] },
  { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
]
  .map((e) => `data: ${JSON.stringify(e)}\n\n`)
  .concat("data: [DONE]\n\n");
const RESPONSE = `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${SSE.map((e) => `${enc.encode(e).byteLength.toString(16)}\r\n${e}\r\n`).join("")}0\r\n\r\n`;

/**
 * Answers the first request of a connection (and, with `answerFirst` false,
 * only the very first connection's); closes the connection without a byte on
 * any other request.
 */
function dropServer(answerFirst: boolean): { url: string; arrivals: Arrival[]; stop(): void } {
  const arrivals: Arrival[] = [];
  let connections = 0;
  type State = { id: number; requests: number; buf: string };
  const listener: TCPSocketListener<State> = Bun.listen<State>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket: Socket<State>) {
        socket.data = { id: ++connections, requests: 0, buf: "" };
      },
      data(socket: Socket<State>, bytes: Uint8Array) {
        const st = socket.data;
        st.buf += Buffer.from(bytes).toString("latin1");
        const headEnd = st.buf.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(st.buf.slice(0, headEnd))?.[1] ?? 0);
        if (st.buf.length < headEnd + 4 + length) return;
        const requestId = /x-request-id: ([^\r]*)/i.exec(st.buf.slice(0, headEnd))?.[1] ?? "";
        st.buf = st.buf.slice(headEnd + 4 + length);
        st.requests++;
        const answer = st.requests === 1 && (answerFirst || st.id === 1);
        arrivals.push({ connection: st.id, nth: st.requests, requestId, atMs: performance.now(), dropped: !answer });
        if (answer) socket.write(RESPONSE);
        else socket.end();
      },
    },
  });
  return { url: `http://127.0.0.1:${listener.port}`, arrivals, stop: () => listener.stop(true) };
}

const origin = (url: string) => parseOrigin(url);

function prepared(url: string): PreparedRequest {
  const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 2, stream: true });
  const o = origin(url);
  return {
    head: enc.encode(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${o.authority}\r\nConnection: keep-alive\r\nx-request-id: `),
    tail: enc.encode(`\r\nContent-Type: application/json\r\nContent-Length: ${enc.encode(body).byteLength}\r\n\r\n${body}`),
    inputTokens: 1,
    requestedOutputTokens: 2,
  };
}

/** Send request `index` through vbench's timed path and wait for its record. */
function timed(client: HttpClient, url: string, index: number, t0: number): Promise<RequestRecord> {
  return new Promise((resolve) => {
    const dispatchedAtMs = performance.now() - t0;
    const request = new TimedRequest(index, `r-${index}`, prepared(url), openaiChat, t0, dispatchedAtMs, dispatchedAtMs, (_r, rec) => resolve(rec));
    sendTimed(client, origin(url), request, t0);
  });
}

let stopServer: (() => void) | null = null;
afterEach(() => stopServer?.());

describe("a kept-alive connection closed before any response", () => {
  test("the request is sent once more on a new connection, and its record says so: resent 1, sent at the re-send, first send kept", async () => {
    const server = dropServer(true);
    stopServer = server.stop;
    const client = new HttpClient();
    const t0 = performance.now();
    const first = await timed(client, server.url, 0, t0);
    const second = await timed(client, server.url, 1, t0);
    client.closeAll();

    expect(server.arrivals.map(({ connection, nth, requestId, dropped }) => ({ connection, nth, requestId, dropped }))).toEqual([
      { connection: 1, nth: 1, requestId: "r-0", dropped: false },
      { connection: 1, nth: 2, requestId: "r-1", dropped: true },
      { connection: 2, nth: 1, requestId: "r-1", dropped: false },
    ]);
    expect(first.success).toBe(true);
    expect(first.resent).toBeUndefined();
    expect(second.success).toBe(true);
    expect(second.resent).toBe(1);
    expect(client.stats).toMatchObject({ opened: 2, reused: 1, resent: 1 });
    // The first send went out before the server dropped it; the re-send after the drop and before its arrival.
    const [, dropped, answered] = server.arrivals;
    expect(t0 + second.firstSentAtMs!).toBeLessThan(dropped!.atMs);
    expect(t0 + second.sentAtMs).toBeGreaterThan(dropped!.atMs);
    expect(t0 + second.sentAtMs).toBeLessThan(answered!.atMs);
    // TTFT counts from the re-send: the first token came after the answered request arrived.
    expect(t0 + second.chunkAtMs[0]!).toBeGreaterThan(answered!.atMs);
  });

  test("never twice: a re-send whose new connection closes too fails as `connect`, still marked resent 1", async () => {
    const server = dropServer(false);
    stopServer = server.stop;
    const client = new HttpClient();
    const t0 = performance.now();
    expect((await timed(client, server.url, 0, t0)).success).toBe(true);
    const second = await timed(client, server.url, 1, t0);
    client.closeAll();

    expect(server.arrivals.map((a) => [a.connection, a.requestId, a.dropped])).toEqual([
      [1, "r-0", false],
      [1, "r-1", true],
      [2, "r-1", true],
    ]);
    expect(second.success).toBe(false);
    expect(second.error?.category).toBe("connect");
    expect(second.error?.message).toContain("closed before any response");
    expect(second.resent).toBe(1);
    expect(client.stats.resent).toBe(1);
  });
});

describe("re-sent requests are counted", () => {
  // Two re-sent requests (one succeeded, one failed) that lost 2 and 4 ms to the closed connection.
  const records = [
    record({ index: 0, dispatched: 0, sent: 1, chunks: [11, 12] }),
    { ...record({ index: 1, dispatched: 1, sent: 5, chunks: [20, 21] }), resent: 1, firstSentAtMs: 3 },
    { ...record({ index: 2, dispatched: 2, sent: 8, fail: { category: "connect", message: "connection closed before any response" } }), resent: 1, firstSentAtMs: 4 },
  ];
  const base = sampleResult();
  const summary = summarize(records, base.scenario, clientStats());

  test("in the summary: count and the time the re-sends cost; TTFT from the re-send, send lag to the first send", () => {
    expect(summary.extras.resent).toMatchObject({ requests: 2, waitMs: { count: 2, mean: 3, max: 4 } });
    expect(summary.metrics.ttft?.mean).toBe(12.5); // (11 − 1 + 20 − 5) / 2
    expect(summary.extras.sendLagMs).toMatchObject({ mean: 5 / 3, max: 2 }); // 1, 2 and 2 ms to the first sends, not 1, 4 and 6
  });

  test("in benchmark_results.json's vbench object and in the report", () => {
    const doc = JSON.parse(formatJson(buildBenchmarkResults({ ...base, records, summary, thresholds: [] })));
    expect(doc.vbench.resent_requests).toMatchObject({ count: 2, wait_ms: { count: 2, mean: 3, max: 4 } });
    expect(formatExtras(summary, base.scenario, [])).toContain("Re-sent requests:                        2 (kept-alive connection closed before any response; re-send cost mean 3.00 ms, max 4.00 ms");
    const none = summarize([records[0]!], base.scenario, clientStats());
    expect(formatExtras(none, base.scenario, [])).not.toContain("Re-sent");
    expect(JSON.parse(formatJson(buildBenchmarkResults({ ...base, records: [records[0]!], summary: none, thresholds: [] }))).vbench.resent_requests.count).toBe(0);
  });

  test("in requests.jsonl, read back by vbench merge", () => {
    const line = JSON.parse(recordToJsonLine(records[1]!));
    expect(line).toMatchObject({ sent_ms: 5, resent: 1, first_sent_ms: 3 });
    expect(parseRecordLine(recordToJsonLine(records[1]!))!.record).toMatchObject({ sentAtMs: 5, resent: 1, firstSentAtMs: 3 });
    const plain = JSON.parse(recordToJsonLine(records[0]!));
    expect("resent" in plain || "first_sent_ms" in plain).toBe(false);
    expect(parseRecordLine(recordToJsonLine(records[0]!))!.record.resent).toBeUndefined();
  });
});
