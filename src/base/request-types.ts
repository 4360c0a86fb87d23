/**
 * One request: what the workload hands the engine (WorkloadItem) and what
 * was measured about it (RequestRecord).
 *
 * Units are in the names: `...Ms` milliseconds on the run's monotonic clock
 * (performance.now(), relative to the run's t0), `...S` seconds, `...Rps`
 * requests per second.
 */

/** Why a request failed (spec/metrics.md "Success"). */
export type FailureCategory = "connect" | "timeout" | "http" | "stream" | "truncated" | "cancelled";

export const FAILURE_CATEGORIES: readonly FailureCategory[] = [
  "connect",
  "timeout",
  "http",
  "stream",
  "truncated",
  "cancelled",
];

export type TokenSource = "server" | "tokenizer";

/** One chat message, as sent in `messages`. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One request of a workload, built when the request is about to be needed (src/engine/request-producer.ts). */
export interface WorkloadItem {
  /** The prompt text (for chat backends: the last user message). */
  prompt: string;
  /** Full conversation for chat backends (multi-turn); absent means one user message with `prompt`. */
  messages?: ChatMessage[];
  /** Prompt length in tokens by the run's tokenizer. */
  inputTokens: number;
  /** Requested output length in tokens. */
  outputTokens: number;
}

export interface RequestFailure {
  category: FailureCategory;
  message: string;
  /** HTTP status for `http` failures. */
  status?: number;
  /** First 1 KiB of the response body for `http` failures. */
  body?: string;
}

/**
 * Everything measured about one request. Timestamps are ms on the run clock
 * (relative to the scenario's t0). A request that never got a slot has
 * dispatchedAtMs/sentAtMs = NaN.
 */
export interface RequestRecord {
  index: number;
  /** `x-request-id` sent with it. */
  requestId: string;
  scheduledAtMs: number;
  dispatchedAtMs: number;
  /**
   * ms between the request falling due and it getting a max_concurrency slot
   * when none was free at that moment (FIFO, in release order); 0 when one
   * was. Absent from records read back from files that predate it.
   */
  slotWaitMs?: number;
  /** Which engine thread sent it (0-based; worker threads, src/engine/dispatcher.ts). Absent as slotWaitMs. */
  worker?: number;
  sentAtMs: number;
  /** Arrival of each token-bearing message. */
  chunkAtMs: Float64Array;
  /**
   * Indexes into chunkAtMs of the token-bearing messages that carried no
   * generated text (PayloadKind.TokenNoText); absent when there were none.
   */
  noTextChunks?: number[];
  /** Arrival of the last token-bearing message (NaN when none arrived). */
  endAtMs: number;
  /** When the request finished in any way (stream closed, error, cancel). */
  doneAtMs: number;
  success: boolean;
  error?: RequestFailure;
  /** Prompt length vbench built (the run's tokenizer), as vLLM's total_input_tokens counts it. */
  inputTokens: number;
  /** The server's own prompt count (usage.prompt_tokens), chat template included; absent when not reported. */
  serverInputTokens?: number;
  outputTokens: number;
  outputTokenSource: TokenSource;
  /** The local tokenizer's count of the generated text, when it was computed. */
  tokenizerOutputTokens?: number;
  /** Output length the workload asked for. */
  requestedOutputTokens: number;
  finishReason?: string;
  generatedText?: string;
  /**
   * Times the request was sent again on a new connection because the
   * kept-alive one it went out on closed before any byte of a response (at
   * most 1); absent when it was not. sentAtMs is then the re-send's time, so
   * TTFT and E2EL count from the request the server answered.
   */
  resent?: number;
  /** The first send's time, when the request was re-sent: `sentAtMs − firstSentAtMs` is the time the re-send cost. */
  firstSentAtMs?: number;
  /** Multi-turn workloads: session and turn index. */
  session?: number;
  turn?: number;
}
