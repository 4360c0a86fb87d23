/**
 * Per-request latencies from the detailed arrays of a saved result (vLLM's
 * `--save-detailed` layout, which vbench writes by default): `ttfts` (s),
 * `itls` (list of lists, s), `output_lens`, `start_times`, `errors`.
 *
 * The definitions are spec/metrics.md's: E2EL is TTFT plus the request's
 * gaps (last token-bearing message − sentAt), TPOT is
 * (E2EL − TTFT) / (outputTokens − 1) for requests with more than one token.
 */
import { finiteOrNaN } from "../base/json-values.ts";
import type { MetricName } from "../base/summary-types.ts";
import type { PerRequestData } from "./types.ts";

type Obj = Record<string, unknown>;

/** The keys of the detailed arrays (dropped from LoadedRun.flat so the flat keys stay small). */
export const DETAILED_KEYS = ["input_lens", "output_lens", "ttfts", "itls", "start_times", "errors", "generated_texts"] as const;

/**
 * The per-request data, or null when the file has no usable detailed arrays
 * (vLLM without --save-detailed, standardized documents) or they disagree in
 * length (a malformed file must not produce misleading statistics).
 */
export function perRequestFromDetailed(raw: Obj): PerRequestData | null {
  const ttfts = raw.ttfts;
  const itls = raw.itls;
  if (!Array.isArray(ttfts) || !Array.isArray(itls) || ttfts.length === 0 || itls.length !== ttfts.length) return null;
  const n = ttfts.length;
  const sameLength = (v: unknown): v is unknown[] => Array.isArray(v) && v.length === n;
  const outputLens = sameLength(raw.output_lens) ? raw.output_lens : null;
  const errors = sameLength(raw.errors) ? raw.errors : null;
  const starts = sameLength(raw.start_times) ? raw.start_times : null;
  const inputLens = sameLength(raw.input_lens) ? raw.input_lens : null;

  const data: PerRequestData = {
    success: new Array<boolean>(n),
    startS: new Float64Array(n),
    ttftMs: new Float64Array(n),
    tpotMs: new Float64Array(n),
    e2elMs: new Float64Array(n),
    itlMs: new Array<Float64Array>(n),
    outputTokens: new Float64Array(n),
    inputTokens: new Float64Array(n),
    errors: new Array<string>(n),
  };
  for (let i = 0; i < n; i++) {
    const ttftS = finiteOrNaN(ttfts[i]);
    const error = errors ? (typeof errors[i] === "string" ? (errors[i] as string) : errors[i] == null ? "" : String(errors[i])) : "";
    // vLLM stores failures with ttft 0 and an error text; without `errors`, ttft 0 is the only sign.
    const ok = errors ? error === "" && ttftS > 0 : ttftS > 0;
    const gapsS = Array.isArray(itls[i]) ? (itls[i] as unknown[]) : [];
    const out = outputLens ? finiteOrNaN(outputLens[i]) : NaN;
    data.success[i] = ok;
    data.errors[i] = ok ? "" : error || "failed";
    data.startS[i] = starts ? finiteOrNaN(starts[i]) : NaN;
    data.outputTokens[i] = ok ? out : 0;
    data.inputTokens[i] = inputLens ? finiteOrNaN(inputLens[i]) : NaN;
    if (!ok) {
      data.ttftMs[i] = data.tpotMs[i] = data.e2elMs[i] = NaN;
      data.itlMs[i] = new Float64Array(0);
      continue;
    }
    const gaps = new Float64Array(gapsS.length);
    let sumMs = 0;
    for (let k = 0; k < gapsS.length; k++) {
      gaps[k] = finiteOrNaN(gapsS[k]) * 1000;
      sumMs += gaps[k];
    }
    const ttftMs = ttftS * 1000;
    const e2elMs = ttftMs + sumMs;
    data.itlMs[i] = gaps;
    data.ttftMs[i] = ttftMs;
    data.e2elMs[i] = e2elMs;
    data.tpotMs[i] = out > 1 ? (e2elMs - ttftMs) / (out - 1) : NaN;
  }
  return data;
}

/** The non-NaN values of a per-request series (successful requests), as a new array. */
export function definedValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[j++] = values[i];
  return out;
}

/** Every ITL gap of every request pooled (spec/metrics.md: the ITL distribution pools all gaps). */
export function pooledItlMs(data: PerRequestData): Float64Array {
  let n = 0;
  for (const g of data.itlMs) n += g.length;
  const out = new Float64Array(n);
  let j = 0;
  for (const g of data.itlMs) {
    out.set(g, j);
    j += g.length;
  }
  return out;
}

/** The one-value-per-request series of a latency metric (NaN for a failed request, and TPOT of a one-token one). */
export function requestSeriesMs(data: PerRequestData, metric: Exclude<MetricName, "itl">): Float64Array {
  return metric === "ttft" ? data.ttftMs : metric === "tpot" ? data.tpotMs : data.e2elMs;
}

/** Every value of metric m in the run: the defined per-request values, or every ITL gap pooled. */
export function metricValuesMs(data: PerRequestData, metric: MetricName): Float64Array {
  return metric === "itl" ? pooledItlMs(data) : definedValues(requestSeriesMs(data, metric));
}
