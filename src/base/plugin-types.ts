/**
 * The plugin contracts: backends (build a request body, interpret its stream)
 * and exporters (write a finished scenario's results). Plugins import them
 * through the `vbench/plugin` virtual module (src/plugin-api.ts); the core
 * never imports a plugin.
 */

import type { WorkloadItem } from "./request-types.ts";
import type { ScenarioResult } from "./scenario-types.ts";

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

/** What a backend needs to build one request body. */
export interface BuildRequestInput {
  item: WorkloadItem;
  /** The `model` field sent to the server (SERVED_MODEL_NAME or discovered). */
  model: string;
  /** True for synthetic workloads (random, synthetic): ask the server to ignore EOS. */
  ignoreEos: boolean;
  /** Sampling fields from the config (temperature, top_p, ...), passed through. */
  sampling: Readonly<Record<string, unknown>>;
  /** `extra_body` from the config, merged over the built body last. */
  extraBody: Readonly<Record<string, unknown>>;
}

/** Classification of one stream payload, returned by {@link ResponseParser.onPayload}. */
export const PayloadKind = {
  /** Not token-bearing (usage-only chunk, keep-alive, metadata). */
  Ignore: 0,
  /** A token-bearing message: the core stamps `chunkAt` for it. */
  Token: 1,
  /** The backend's end marker (`[DONE]`). */
  Done: 2,
  /** An error object or malformed data inside the stream; details in `state.error`. */
  Error: 3,
  /** A token-bearing message that is also the end marker (TGI's final event). */
  TokenAndDone: 4,
  /**
   * A token-bearing message that carried no generated text (a role-only
   * delta, an empty finish chunk): stamped like `Token` for vLLM's ITL, left
   * out of the content ITL. A parser that cannot tell returns `Token`.
   */
  TokenNoText: 5,
  /** `TokenNoText` that is also the end marker (a completions finish chunk with empty text and usage). */
  TokenNoTextAndDone: 6,
} as const;
export type PayloadKind = (typeof PayloadKind)[keyof typeof PayloadKind];

/** What a parser has learned from a response so far. Read by the core after the stream ends. */
export interface ParsedResponse {
  /** Server-reported output token count (usage.completion_tokens, details.generated_tokens). */
  outputTokens?: number;
  /** Server-reported prompt token count (usage.prompt_tokens). */
  promptTokens?: number;
  /** Generated text pieces, in order (joined only after the run, when needed). */
  textParts: string[];
  finishReason?: string;
  /** Set when the stream carried an error object or malformed data. */
  error?: string;
  /** True once the backend's end marker was seen. */
  ended: boolean;
}

/**
 * Per-request stream interpreter. Pure: no I/O, no clock reads, no logging.
 * `onPayload` gets each SSE `data:` payload (the text after `data:`), or the
 * whole body once for a non-streaming response.
 */
export interface ResponseParser {
  readonly state: ParsedResponse;
  onPayload(payload: string): PayloadKind;
  /**
   * Optional fast path: the UTF-8 bytes `bytes[start, end)` of one event's
   * payload, offered before they are decoded (only for a `data:` event of a
   * single line, whole in one read of a stream without CR). Return a kind to
   * take it, exactly what onPayload would return for the decoded payload, or
   * undefined to have it decoded and passed to onPayload.
   */
  onPayloadBytes?(bytes: Uint8Array, start: number, end: number): PayloadKind | undefined;
}

/** Discovery: how to ask a server which models it serves. */
export interface DiscoverySpec {
  /** GET path, e.g. `/v1/models` or `/info`. */
  path: string;
  /** Extract the served model ids from the parsed JSON body. */
  parseModels(body: unknown): string[];
}

export interface BackendPlugin {
  kind: "backend";
  name: string;
  description: string;
  /** Endpoint path used when the config gives none. */
  defaultEndpointPath: string;
  /** Returns a hint when a configured endpoint path is wrong for this backend, else undefined. */
  checkEndpointPath?(path: string): string | undefined;
  discovery: DiscoverySpec;
  /** Build the JSON body (an object; the core serialises it before the clock starts). */
  buildBody(input: BuildRequestInput): Record<string, unknown>;
  /** Extra headers this backend needs (besides Content-Type, Authorization, x-request-id). */
  headers?(): Record<string, string>;
  createParser(): ResponseParser;
}

// ---------------------------------------------------------------------------
// Exporters
// ---------------------------------------------------------------------------

export interface ExportContext {
  /** Directory the scenario's files go in (created by the core). */
  scenarioDir: string;
  outputDir: string;
  parsedDir: string;
  /** Exporter options from the config/flags (`exporter_options.<name>`). */
  options: Readonly<Record<string, unknown>>;
  /** Log a line for humans (stderr and the main log). */
  log(message: string): void;
}

export interface ExporterPlugin {
  kind: "exporter";
  name: string;
  description: string;
  /** Check the destination before any traffic; throw a VbenchError when it is unusable. */
  preflight?(ctx: ExportContext): Promise<void>;
  /** Write one scenario's results after it finished (off the hot path). Returns paths written. */
  write(result: ScenarioResult, ctx: ExportContext): Promise<string[]>;
  /** Called once after all scenarios (e.g. one summary row per scenario). */
  finish?(results: ScenarioResult[], ctx: ExportContext): Promise<string[]>;
}

export type Plugin = BackendPlugin | ExporterPlugin;
