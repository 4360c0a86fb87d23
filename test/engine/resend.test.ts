/**
 * A request whose kept-alive connection closes before any byte of a response
 * is sent once more on a new connection, and the record says so (issue 17:
 * no silent re-send). Against a raw TCP server on 127.0.0.1 that answers the
 * first request of each connection and closes the connection, without a
 * byte, on the next one; and through the summary, benchmark_results.json,
 * the report and requests.jsonl.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { HttpClient } from "../../src/engine/http.ts";
import { summarize } from "../../src/results/metrics.ts";
import { parseRecordLine } from "../../src/results/record-line.ts";
import { recordToJsonLine } from "../../src/results/record-log.ts";
import { formatExtras } from "../../src/results/console-block.ts";
import { buildBenchmarkResults, formatJson } from "../../src/results/result-docs.ts";
import { sampleResult } from "../exporters/sample-result.ts";
import { startDropServer } from "../helpers/drop-server.ts";
import { timedChat } from "../helpers/timed-client.ts";
import { client as clientStats, record } from "../results/summary-fixtures.ts";

let stopServer: (() => void) | null = null;
afterEach(() => stopServer?.());

describe("a kept-alive connection closed before any response", () => {
  test("the request is sent once more on a new connection, and its record says so: resent 1, sent at the re-send, first send kept", async () => {
    const server = startDropServer();
    stopServer = server.stop;
    const client = new HttpClient();
    const t0 = performance.now();
    const first = await timedChat(client, server.url, 0, t0);
    const second = await timedChat(client, server.url, 1, t0);
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
    const server = startDropServer({ answerFirstPost: "first-connection" });
    stopServer = server.stop;
    const client = new HttpClient();
    const t0 = performance.now();
    expect((await timedChat(client, server.url, 0, t0)).success).toBe(true);
    const second = await timedChat(client, server.url, 1, t0);
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
