import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readPcap, wireTimings, type WireTiming } from "../../src/wire/pcap.ts";
import { compareWithTruth, type MeasuredTiming } from "../../src/results/truth-compare.ts";
import { wireAsTruth } from "../../src/results/wire-capture.ts";

// A real loopback capture (tcpdump -i lo) of `vbench run` against `vbench mock --ttft-ms 20 --itl-ms 5`:
// the initial test request and two benchmark requests of 4 output tokens each, one at a time, with the
// simulator's own record of the same run beside it.
const FIXTURES = join(import.meta.dir, "../fixtures/wire");
const pcap = readFileSync(join(FIXTURES, "chat-two-requests.pcap"));
const recorded = JSON.parse(readFileSync(join(FIXTURES, "chat-two-requests.truth.json"), "utf8")) as {
  port: number;
  truth: { requestId: string; receivedAtMs: number; chunkAtMs: number[] }[];
};

describe("readPcap and wireTimings on a recorded capture", () => {
  const packets = readPcap(pcap);
  const timings = wireTimings(packets, recorded.port);

  test("every packet is TCP to or from the simulator's port", () => {
    expect(packets.length).toBeGreaterThan(20);
    for (const p of packets) expect(p.srcPort === recorded.port || p.dstPort === recorded.port).toBe(true);
  });

  test("finds every generation request by x-request-id, in order", () => {
    expect(timings.map((t) => t.requestId)).toEqual(recorded.truth.map((t) => t.requestId));
  });

  test("one token packet per streamed token (the role delta rides with the first)", () => {
    for (const t of timings) expect(t.tokenPackets).toBe(4);
  });

  test("wire timings agree with the simulator's own record of the same requests", () => {
    for (const t of timings) {
      const truth = recorded.truth.find((r) => r.requestId === t.requestId)!;
      const trueTtft = truth.chunkAtMs[0]! - truth.receivedAtMs;
      const wireTtft = t.firstTokenAtMs - t.requestAtMs;
      // The wire sees the request before the simulator's handler runs, so its TTFT is the same or a little longer.
      expect(wireTtft).toBeGreaterThanOrEqual(trueTtft - 0.2);
      expect(wireTtft).toBeLessThan(trueTtft + 2);
      const trueSpan = truth.chunkAtMs[truth.chunkAtMs.length - 1]! - truth.chunkAtMs[0]!;
      expect(Math.abs(t.lastTokenAtMs - t.firstTokenAtMs - trueSpan)).toBeLessThan(1);
    }
  });

  test("rejects what is not a pcap file", () => {
    expect(() => readPcap(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\nnot a capture"))).toThrow("bad magic number");
    expect(() => readPcap(new Uint8Array(10))).toThrow("shorter than its header");
  });

  test("a capture cut off mid-record keeps the whole records before it", () => {
    const whole = readPcap(pcap).length;
    expect(readPcap(pcap.subarray(0, pcap.byteLength - 5)).length).toBe(whole - 1);
  });
});

describe("the wire as the reference (wireAsTruth, then compareWithTruth)", () => {
  const w = (requestId: string, requestAtMs: number, tokenAtMs: number[]): WireTiming => ({
    requestId,
    requestAtMs,
    firstTokenAtMs: tokenAtMs[0]!,
    lastTokenAtMs: tokenAtMs[tokenAtMs.length - 1]!,
    tokenPackets: tokenAtMs.length,
    tokenAtMs,
  });
  const m = (requestId: string, sentAtMs: number, chunkAtMs: number[], success = true): MeasuredTiming => ({ requestId, success, sentAtMs, chunkAtMs });

  test("measured minus wire, on each side's own clock", () => {
    // Client clock from 0, capture clock in epoch ms: only durations are compared.
    const t = 1_700_000_000_000;
    const wire = [w("a", t, [t + 50, t + 60, t + 70]), w("b", t + 10, [t + 60, t + 70, t + 80]), w("e", t, [t + 50, t + 60])];
    const measured = [m("a", 0, [50.5, 60.5, 70.6]), m("b", 10, [61.5, 71.5, 81.5]), m("c", 0, [50]), m("d", 0, [], false), m("e", 0, [50])];
    const c = compareWithTruth(measured, wire.map(wireAsTruth));
    expect(c.matched).toBe(2);
    expect(c.missingFromTruth).toBe(1);
    // e: the client read one token message where the wire carried two: left out, and counted.
    expect(c.chunkCountMismatch).toBe(1);
    // a: 50.5 vs 50 → +0.5; b: 51.5 vs 50 → +1.5.
    expect(c.ttftErrorMs.mean).toBeCloseTo(1, 9);
    expect(c.ttftErrorMs.max).toBeCloseTo(1.5, 9);
    expect(c.trueMeanTtftMs).toBeCloseTo(50, 9);
    // Spans: measured 20.1 + 20, wire 20 + 20, over 4 gaps.
    expect(c.measuredMeanItlMs).toBeCloseTo(40.1 / 4, 9);
    expect(c.itlErrorMs).toBeCloseTo(0.1 / 4, 9);
  });

  test("the recorded capture, as the reference, reads like the simulator's own record of it", () => {
    const timings = wireTimings(readPcap(pcap), recorded.port).map(wireAsTruth);
    expect(timings.map((t) => t.chunkAtMs.length)).toEqual(recorded.truth.map((t) => t.chunkAtMs.length));
  });
});
