import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareAtScale, dist, scaleRecordFromLine, type ScaleRecord } from "../../bench/scale-compare.ts";
import { readPcap, tokenMessages, wireTimings, type WireTiming } from "../../src/wire/pcap.ts";

describe("tokenMessages", () => {
  test("counts the token-bearing SSE messages a packet carries", () => {
    const one = 'data: {"choices":[{"index":0,"text":" a"}]}\n\n';
    expect(tokenMessages(one)).toBe(1);
    expect(tokenMessages(one + one + "data: [DONE]\n\n")).toBe(2);
    expect(tokenMessages("data: [DONE]\n\n")).toBe(0);
    expect(tokenMessages("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")).toBe(0);
  });

  test("counts what the client counts: a role-only delta and an empty finish chunk do, a usage-only chunk does not", () => {
    expect(tokenMessages('data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n')).toBe(1);
    expect(tokenMessages('data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n')).toBe(1);
    expect(tokenMessages('data: {"choices":[],"usage":{"completion_tokens":4}}\n\n')).toBe(0);
  });

  test("a recorded capture: a message time per token-bearing event, the role delta in the first token's packet", () => {
    const fixtures = join(import.meta.dir, "../fixtures/wire");
    const port = (JSON.parse(readFileSync(join(fixtures, "chat-two-requests.truth.json"), "utf8")) as { port: number }).port;
    for (const t of wireTimings(readPcap(readFileSync(join(fixtures, "chat-two-requests.pcap"))), port)) {
      expect(t.tokenAtMs).toHaveLength(t.tokenPackets + 1);
      expect(t.tokenAtMs![1]).toBe(t.firstTokenAtMs);
      expect(t.tokenAtMs![0]).toBe(t.firstTokenAtMs);
      expect(t.tokenAtMs!.at(-1)).toBe(t.lastTokenAtMs);
    }
  });
});

describe("wireTimings and retransmissions", () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const token = 'data: {"choices":[{"index":0,"text":" a"}]}\n\n';
  test("a segment seen twice (same sequence range) counts once, at the first copy", () => {
    const packets = [
      { atMs: 1, srcPort: 5000, dstPort: 80, seq: 100, payload: enc("POST / HTTP/1.1\r\nx-request-id: r1\r\n\r\n{}") },
      { atMs: 50, srcPort: 80, dstPort: 5000, seq: 7, payload: enc(token) },
      { atMs: 53, srcPort: 80, dstPort: 5000, seq: 7, payload: enc(token) },
      { atMs: 60, srcPort: 80, dstPort: 5000, seq: 7 + token.length, payload: enc(token + token) },
    ];
    const seen = { retransmissions: 0 };
    const [t] = wireTimings(packets, 80, seen);
    expect(seen.retransmissions).toBe(1);
    expect(t!.tokenAtMs).toEqual([50, 60, 60]);
    expect(t!.tokenPackets).toBe(2);
  });
});

describe("compareAtScale", () => {
  const EPOCH = 1_700_000_000_000;
  const wire = (requestId: string, requestAtMs: number, tokens: number[]): WireTiming => ({
    requestId,
    requestAtMs: EPOCH + requestAtMs,
    firstTokenAtMs: EPOCH + tokens[0]!,
    lastTokenAtMs: EPOCH + tokens.at(-1)!,
    tokenPackets: tokens.length,
    tokenAtMs: tokens.map((t) => EPOCH + t),
  });
  // The client's run clock starts at EPOCH + 1000 on the wall clock; its wall-clock mapping is 0.2 ms fast.
  const rec = (requestId: string, sentAtMs: number, chunkAtMs: number[], success = true): ScaleRecord => ({ requestId, success, sentAtMs, sentEpochMs: EPOCH + 1000 + 0.2 + sentAtMs, chunkAtMs });

  test("client minus wire, lags on one aligned time axis", () => {
    const w = [wire("a", 1000.1, [1050, 1060, 1070]), wire("b", 1000.1, [1050, 1060, 1070])];
    // a reads everything at once (0 lag); b sends 0.1 ms late on the wire's side and reads its first token 2 ms late.
    const r = [rec("a", 0.1, [50, 60, 70]), rec("b", 0, [52, 60, 70]), rec("c", 0, [50]), rec("d", 0, [], false)];
    const c = compareAtScale(r, w);
    expect(c.matched).toBe(2);
    expect(c.missing).toBe(1);
    expect(c.messages).toBe(7);
    expect(c.ttftErrorMs.max).toBeCloseTo(2.1, 3);
    expect(c.clientTtftMs.mean - c.wireTtftMs.mean).toBeCloseTo(1.05, 3);
    // The 0.2 ms error of the client's wall-clock mapping is found and taken out.
    expect(c.clockShiftMs).toBeCloseTo(-0.2, 3);
    expect(c.sendLagMs.max).toBeCloseTo(0.1, 3);
    expect(c.sendLagMs.min).toBeCloseTo(0, 3);
    expect(c.firstTokenReceiveLagMs.max).toBeCloseTo(2, 3);
    expect(c.messageReceiveLagMs.count).toBe(6);
    expect(c.messageReceiveLagMs.max).toBeCloseTo(2, 3);
    expect(c.messageReceiveLagMs.over1Ms).toBe(1);
    // b's first gap is 8 ms on the client against 10 on the wire.
    expect(c.clientItlMs.min).toBeCloseTo(8, 3);
    expect(c.wireItlMs.max).toBeCloseTo(10, 3);
    expect(c.worstWindows[0]!.maxLagMs).toBeCloseTo(2, 3);
    expect(c.worstWindows[0]!.fromS).toBe(0);
  });

  test("a record whose message count differs is left out of the per-message lags only", () => {
    const c = compareAtScale([rec("a", 0, [50, 60])], [wire("a", 1000, [1050, 1055, 1060])]);
    expect(c.matched).toBe(1);
    expect(c.messageCountMismatch).toBe(1);
    expect(c.messageReceiveLagMs.count).toBe(0);
    expect(c.firstTokenReceiveLagMs.count).toBe(1);
  });

  test("reads a requests.jsonl line", () => {
    const r = scaleRecordFromLine(JSON.stringify({ request_id: "x", success: true, sent_ms: 1.5, sent_epoch_ms: null, chunk_ms: [3, 4] }));
    expect(r).toEqual({ requestId: "x", success: true, sentAtMs: 1.5, sentEpochMs: NaN, chunkAtMs: [3, 4] });
  });

  test("dist", () => {
    expect(dist([3, 1, 2])).toMatchObject({ count: 3, mean: 2, p50: 2, min: 1, max: 3, over1Ms: 2 });
    expect(dist([]).count).toBe(0);
  });
});
