/**
 * Extras about what the server did with the successful requests (spec/metrics.md
 * "vbench extras"): its own prompt-token count beside the prompt lengths vbench
 * built. They never change the vLLM-named numbers.
 *
 * One `add` per successful record from summarize()'s single pass; no
 * per-record allocation.
 */
import type { RequestRecord, SummaryExtras } from "./types.ts";

export type ResponseExtras = Pick<SummaryExtras, "serverInputTokens">;

export class ResponseTally {
  private serverTotal = 0;
  private serverRequests = 0;
  private builtOfReporting = 0;

  /** A successful record. */
  add(r: RequestRecord): void {
    const server = r.serverInputTokens;
    if (server !== undefined) {
      this.serverTotal += server;
      this.serverRequests++;
      this.builtOfReporting += r.inputTokens;
    }
  }

  extras(): ResponseExtras {
    if (this.serverRequests === 0) return {};
    return { serverInputTokens: { total: this.serverTotal, requests: this.serverRequests, builtTotal: this.builtOfReporting } };
  }
}
