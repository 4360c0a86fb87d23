import type { RequestRecord } from "../../src/base/request-types.ts";

/** A successful two-token request record; its times follow its index. */
export function sampleRecord(index: number): RequestRecord {
  return {
    index,
    requestId: `run-${index}`,
    scheduledAtMs: index,
    dispatchedAtMs: index,
    sentAtMs: index,
    chunkAtMs: Float64Array.of(index + 1, index + 2),
    endAtMs: index + 2,
    doneAtMs: index + 2,
    success: true,
    inputTokens: 8,
    outputTokens: 2,
    outputTokenSource: "server",
    requestedOutputTokens: 2,
  };
}
