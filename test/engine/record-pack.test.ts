import { describe, expect, test } from "bun:test";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { packRecords, unpackRecords } from "../../src/engine/record-pack.ts";

function record(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    index: i,
    requestId: `run-bench-${i}`,
    scheduledAtMs: i * 1.5,
    dispatchedAtMs: i * 1.5 + 0.25,
    slotWaitMs: 0.5,
    worker: 1,
    sentAtMs: i * 1.5 + 0.3,
    chunkAtMs: Float64Array.from([10 + i, 20.125 + i, 30.5 + i]),
    endAtMs: 30.5 + i,
    doneAtMs: 31 + i,
    success: true,
    inputTokens: 32,
    outputTokens: 3,
    outputTokenSource: "server",
    requestedOutputTokens: 3,
    ...extra,
  };
}

describe("records packed for the main thread", () => {
  test("every field comes back as it was, optional ones absent when they were", () => {
    const records = [
      record(0, { serverInputTokens: 33, finishReason: "length", generatedText: "a b c" }),
      record(1),
      record(2, { success: false, chunkAtMs: new Float64Array(0), endAtMs: NaN, outputTokens: 0, outputTokenSource: "tokenizer", error: { category: "http", message: "HTTP 500: x", status: 500, body: "x" } }),
      record(3, { noTextChunks: [1], resent: 1, firstSentAtMs: 2, session: 4, turn: 2, tokenizerOutputTokens: 3 }),
    ];
    const { slotWaitMs: _s, worker: _w, ...bare } = record(4);
    records.push(bare);
    // Through a structured clone, as a worker's post would carry it.
    const back = unpackRecords(structuredClone(packRecords(records)));
    expect(back).toEqual(records);
    for (let k = 0; k < records.length; k++) expect(Object.keys(back[k]!).sort()).toEqual(Object.keys(records[k]!).sort());
    expect(back[0]!.chunkAtMs).toBeInstanceOf(Float64Array);
    expect(back[1]!.chunkAtMs.buffer).not.toBe(back[0]!.chunkAtMs.buffer);
  });

  test("an empty batch", () => {
    expect(unpackRecords(packRecords([]))).toEqual([]);
  });
});
