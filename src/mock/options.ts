/**
 * Options of the built-in simulator (`vbench mock`): the behaviour knobs, their
 * defaults, and validation. Faults are described in ./faults.ts.
 */
import { VbenchError } from "../base/errors.ts";
import { formatFault, type FaultSpec } from "./faults.ts";

export interface MockOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  host: string;
  /** The one model id served (`/v1/models`, `/info`); OpenAI requests naming another get 404. */
  model: string;
  /** Time from getting a server slot to the first token, ms. */
  ttftMs: number;
  /** Time between consecutive tokens, ms. */
  itlMs: number;
  /** Uniform ± jitter added to the TTFT and to every token gap, ms (seeded). */
  jitterMs: number;
  /** Tokens per streamed chunk after the first (OpenAI only; TGI sends one token per event). */
  tokensPerChunk: number;
  /** Requests generating at once; more wait in a FIFO queue. 0 = unlimited. */
  maxConcurrency: number;
  /** Fraction of generation requests answered with HTTP 500 (chosen per request index from the seed). */
  errorRate: number;
  seed: number;
  /** Count prompt tokens with the GPT-2 tokenizer (r50k_base); false = ceil(chars / 4). */
  exactPromptTokens: boolean;
  /** Faults, first match wins (see ./faults.ts for the scheme). */
  faults: FaultSpec[];
  /** Exit the process when generation request number dieAfter + 1 arrives (null = never). */
  dieAfter: number | null;
  /**
   * llama-server's keep-alive: send `Keep-Alive: timeout=N` and close a
   * connection idle for N seconds after a response (0 = off: connections stay open).
   */
  keepAliveTimeoutS: number;
}

export const MOCK_DEFAULTS: Readonly<MockOptions> = Object.freeze({
  port: 0,
  host: "127.0.0.1",
  model: "vbench-mock",
  ttftMs: 50,
  itlMs: 10,
  jitterMs: 0,
  tokensPerChunk: 1,
  maxConcurrency: 0,
  errorRate: 0,
  seed: 0,
  exactPromptTokens: true,
  faults: [],
  dieAfter: null,
  keepAliveTimeoutS: 0,
});

/** Output length when a request names none (OpenAI's and vLLM's default for completions). */
export const DEFAULT_OUTPUT_TOKENS = 16;

function fail(message: string): never {
  throw new VbenchError("mock_option", message, { hint: "see `vbench mock --help`" });
}

function checkNumber(name: string, value: number, min: number, integer: boolean, max = Infinity): void {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(`mock option ${name} must be a number, got ${String(value)}`);
  if (integer && !Number.isInteger(value)) fail(`mock option ${name} must be an integer, got ${value}`);
  if (value < min || value > max) fail(`mock option ${name} must be in [${min}, ${max}], got ${value}`);
}

/** Defaults filled in and every field checked; throws VbenchError("mock_option") on a bad value. */
export function resolveMockOptions(partial: Partial<MockOptions> = {}): MockOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const options: MockOptions = { ...MOCK_DEFAULTS, ...defined, faults: [...(partial.faults ?? [])] };
  checkNumber("port", options.port, 0, true, 65535);
  if (typeof options.host !== "string" || options.host === "") fail("mock option host must be a non-empty string");
  if (typeof options.model !== "string" || options.model === "") fail("mock option model must be a non-empty string");
  checkNumber("ttftMs", options.ttftMs, 0, false);
  checkNumber("itlMs", options.itlMs, 0, false);
  checkNumber("jitterMs", options.jitterMs, 0, false);
  checkNumber("tokensPerChunk", options.tokensPerChunk, 1, true);
  checkNumber("maxConcurrency", options.maxConcurrency, 0, true);
  checkNumber("errorRate", options.errorRate, 0, false, 1);
  checkNumber("seed", options.seed, 0, true);
  if (typeof options.exactPromptTokens !== "boolean") fail("mock option exactPromptTokens must be a boolean");
  if (options.dieAfter !== null) checkNumber("dieAfter", options.dieAfter, 0, true);
  checkNumber("keepAliveTimeoutS", options.keepAliveTimeoutS, 0, false, 3600);
  return options;
}

/** The settings as people read them, in the simulator's own start line and in `--mock` runs' `Simulator:` line. */
export function describeMockOptions(options: MockOptions): string {
  const faults = options.faults.map(formatFault).join(" ");
  return `ttft ${options.ttftMs} ms, itl ${options.itlMs} ms, ${options.tokensPerChunk} token(s)/chunk, max concurrency ${options.maxConcurrency || "unlimited"}${faults ? `, faults ${faults}` : ""}`;
}
