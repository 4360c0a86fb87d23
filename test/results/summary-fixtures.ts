/** Builders for hand-made records and scenarios used by the metrics, thresholds and report tests. */
import type { ClientStats } from "../../src/results/metrics.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";

export { testScenario as scenario } from "../helpers/scenario.ts";

export interface RecordSpec {
  index?: number;
  scheduled?: number;
  dispatched?: number;
  sent?: number;
  chunks?: number[];
  done?: number;
  out?: number;
  input?: number;
  tokenizerOut?: number;
  source?: "server" | "tokenizer";
  fail?: { category: "connect" | "timeout" | "http" | "stream" | "truncated" | "cancelled"; message: string };
}

let nextIndex = 0;

/** A record; a spec with `fail` is a failure, otherwise a success ending at its last chunk. */
export function record(spec: RecordSpec): RequestRecord {
  const chunks = new Float64Array(spec.chunks ?? []);
  const sent = spec.sent ?? 0;
  const dispatched = spec.dispatched ?? sent;
  const endAt = chunks.length > 0 ? chunks[chunks.length - 1]! : NaN;
  const index = spec.index ?? nextIndex++;
  return {
    index,
    requestId: `r-${index}`,
    scheduledAtMs: spec.scheduled ?? dispatched,
    dispatchedAtMs: dispatched,
    sentAtMs: sent,
    chunkAtMs: chunks,
    endAtMs: endAt,
    doneAtMs: spec.done ?? (Number.isNaN(endAt) ? sent : endAt),
    success: spec.fail === undefined,
    ...(spec.fail === undefined ? {} : { error: spec.fail }),
    inputTokens: spec.input ?? 10,
    outputTokens: spec.out ?? chunks.length,
    outputTokenSource: spec.source ?? "server",
    ...(spec.tokenizerOut === undefined ? {} : { tokenizerOutputTokens: spec.tokenizerOut }),
    requestedOutputTokens: spec.out ?? chunks.length,
  };
}

export function client(overrides: Partial<ClientStats> = {}): ClientStats {
  return { benchStartMs: 0, benchEndMs: 1000, eventLoopLagMs: new Float64Array([0.1, 0.2]), clientCpuS: 0.5, ...overrides };
}
