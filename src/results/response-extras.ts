/**
 * Extras about what the server did with the successful requests (spec/metrics.md
 * "vbench extras"): its own prompt-token count beside the prompt lengths vbench
 * built, the inter-token latency between messages that carried generated
 * text, and outputs shorter than requested. They never change the vLLM-named
 * numbers.
 *
 * One `add` per successful record from summarize()'s single pass; no
 * per-record allocation.
 */
import { EXTRA_PERCENTILES } from "./client-metrics.ts";
import { SeriesBuilder, type SeriesBuilderOptions } from "./stats.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { SummaryExtras } from "../base/summary-types.ts";

export type ResponseExtras = Pick<SummaryExtras, "serverInputTokens" | "contentItlMs" | "noTextMessages" | "shortOutputs">;

export class ResponseTally {
  private serverTotal = 0;
  private serverRequests = 0;
  private builtOfReporting = 0;
  private readonly contentItl: SeriesBuilder;
  private noText = 0;
  private short = 0;
  private readonly shortBy: Record<string, number> = {};
  private minRatio = Infinity;

  /** `series.capacity`: the number of ITL gaps, an upper bound on the content gaps. */
  constructor(series: SeriesBuilderOptions = {}) {
    this.contentItl = new SeriesBuilder(series);
  }

  /** A successful record. */
  add(r: RequestRecord): void {
    const server = r.serverInputTokens;
    if (server !== undefined) {
      this.serverTotal += server;
      this.serverRequests++;
      this.builtOfReporting += r.inputTokens;
    }
    this.addOutputLength(r);
    const skip = r.noTextChunks;
    if (skip === undefined || skip.length === 0) {
      this.contentItl.pushGaps(r.chunkAtMs);
      return;
    }
    this.noText += skip.length;
    this.pushContentGaps(r.chunkAtMs, skip);
  }

  /** Outputs shorter than requested: the model stopped early (EOS) or hit a limit (a full context). */
  private addOutputLength(r: RequestRecord): void {
    const requested = r.requestedOutputTokens;
    if (!(requested > 0)) return;
    const ratio = r.outputTokens / requested;
    if (ratio < this.minRatio) this.minRatio = ratio;
    if (r.outputTokens >= requested) return;
    this.short++;
    const reason = r.finishReason ?? "unknown";
    this.shortBy[reason] = (this.shortBy[reason] ?? 0) + 1;
  }

  /** Gaps between consecutive chunks that carried text; `skip` is sorted ascending. */
  private pushContentGaps(chunks: Float64Array, skip: readonly number[]): void {
    let next = 0;
    let previous = NaN;
    for (let k = 0; k < chunks.length; k++) {
      if (next < skip.length && skip[next] === k) {
        next++;
        continue;
      }
      if (previous === previous) this.contentItl.push(chunks[k]! - previous);
      previous = chunks[k]!;
    }
  }

  extras(): ResponseExtras {
    const out: ResponseExtras = {
      contentItlMs: this.contentItl.stats(EXTRA_PERCENTILES),
      noTextMessages: this.noText,
      shortOutputs: { count: this.short, byFinishReason: this.shortBy, minRatio: Number.isFinite(this.minRatio) ? this.minRatio : null },
    };
    if (this.serverRequests > 0) out.serverInputTokens = { total: this.serverTotal, requests: this.serverRequests, builtTotal: this.builtOfReporting };
    return out;
  }
}

/**
 * The extras in benchmark_results.json's `vbench` object; null where not
 * measured (a result written before they existed, re-rendered by `vbench export`).
 */
export function responseExtrasJson(x: SummaryExtras): Record<string, unknown> {
  const server = x.serverInputTokens;
  const short = x.shortOutputs;
  return {
    server_input_tokens: server?.total ?? null,
    server_input_overhead: server
      ? { requests: server.requests, built_input_tokens: server.builtTotal, mean_tokens_per_request: (server.total - server.builtTotal) / server.requests }
      : null,
    content_itl_ms: x.contentItlMs ?? null,
    messages_without_text: x.noTextMessages ?? null,
    short_outputs: short ? { count: short.count, by_finish_reason: short.byFinishReason, min_ratio: short.minRatio } : null,
  };
}

/** summary.csv columns of the extras, in order (cells from {@link responseExtrasCells}). */
export const RESPONSE_EXTRA_COLUMNS = [
  "server_input_tokens", "mean_content_itl_ms", "p50_content_itl_ms", "p99_content_itl_ms", "messages_without_text",
  "short_outputs", "short_outputs_by_finish_reason", "output_ratio_min",
] as const;

/** summary.csv cells; undefined (an empty cell) where not measured. */
export function responseExtrasCells(x: SummaryExtras): Record<(typeof RESPONSE_EXTRA_COLUMNS)[number], unknown> {
  const c = x.contentItlMs && x.contentItlMs.count > 0 ? x.contentItlMs : undefined;
  const short = x.shortOutputs;
  return {
    server_input_tokens: x.serverInputTokens?.total,
    mean_content_itl_ms: c?.mean,
    p50_content_itl_ms: c?.percentiles.p50,
    p99_content_itl_ms: c?.percentiles.p99,
    messages_without_text: x.noTextMessages,
    short_outputs: short?.count,
    // `length:2 stop:1`: the finish reasons are the server's words, so not a fixed set of columns.
    short_outputs_by_finish_reason: short ? Object.entries(short.byFinishReason).map(([reason, n]) => `${reason}:${n}`).join(" ") : undefined,
    output_ratio_min: short?.minRatio ?? undefined,
  };
}
