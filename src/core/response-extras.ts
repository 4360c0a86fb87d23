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
import type { RequestRecord, SummaryExtras } from "./types.ts";

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
