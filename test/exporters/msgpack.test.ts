import { describe, expect, test } from "bun:test";
import { decodeRaw, encodeRaw } from "../../src/results/raw-records.ts";
import { encode } from "@msgpack/msgpack";
import { VbenchError } from "../../src/base/errors.ts";
import { sampleResult } from "./sample-result.ts";

describe("raw.msgpack", () => {
  test("round trip restores everything, Float64Array chunk times included", () => {
    const r = sampleResult({ variant: "c8" });
    // A view into a larger buffer must still encode only its own elements.
    const big = new Float64Array([99, 1.5, 2.25, 1e-300, 99]);
    r.records[0].chunkAtMs = big.subarray(1, 4);
    const back = decodeRaw(encodeRaw(r));
    // Everything but secret header values, which no file keeps.
    expect(back).toEqual({ ...r, scenario: { ...r.scenario, headers: { ...r.scenario.headers, Authorization: "<redacted>" } } });
    expect(r.scenario.headers.Authorization).toBe("Bearer secret-token");
    for (let i = 0; i < r.records.length; i++) {
      expect(back.records[i].chunkAtMs).toBeInstanceOf(Float64Array);
      expect(Array.from(back.records[i].chunkAtMs)).toEqual(Array.from(r.records[i].chunkAtMs));
    }
    expect(Array.from(back.records[0].chunkAtMs)).toEqual([1.5, 2.25, 1e-300]);
    expect(Number.isNaN(back.records[2].endAtMs)).toBe(true);
    expect(back.scenario.requestRate).toBe(Infinity);
    expect(back.records[2].error).toEqual(r.records[2].error!);
    expect("error" in back.records[0]).toBe(false);
    expect(back.summary.requestGoodput).toBe(r.summary.requestGoodput);
    expect(back.summary.extras.tokenSources.mismatchMeanAbs).toBeNull();
  });

  test("re-encoding a decoded result gives the same bytes", () => {
    const bytes = encodeRaw(sampleResult());
    expect(Buffer.from(encodeRaw(decodeRaw(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  test("rejects garbage and foreign documents with a VbenchError", () => {
    expect(() => decodeRaw(new Uint8Array([0xc1]))).toThrow(VbenchError);
    expect(() => decodeRaw(encode({ schema: "other/1" }))).toThrow(VbenchError);
    expect(() => decodeRaw(encode({ schema: "vbench.raw/1" }))).toThrow(VbenchError);
    expect(() => decodeRaw(encode({ schema: "vbench.raw/2" }))).toThrow(/newer/);
  });
});
