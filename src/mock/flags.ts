/**
 * The flags of `vbench mock` and the conversions between them and
 * MockOptions (both ways: the parent passes options to a child as flags).
 */
import { VbenchError } from "../base/errors.ts";
import { formatFault, parseFault, type FaultSpec } from "./faults.ts";
import { MOCK_DEFAULTS, resolveMockOptions, type MockOptions } from "./options.ts";

export interface MockFlag {
  /** cac-style flag, e.g. "--ttft-ms <ms>". */
  flag: string;
  description: string;
  default: unknown;
}

/** Flags of `vbench mock`, for registering on the cac command. cac turns `--ttft-ms` into `ttftMs`. */
export const mockFlagDefinitions: readonly MockFlag[] = [
  { flag: "--port <port>", description: "TCP port to listen on (0 = a free port)", default: MOCK_DEFAULTS.port },
  { flag: "--host <host>", description: "Address to listen on", default: MOCK_DEFAULTS.host },
  { flag: "--model <name>", description: "Model id served (OpenAI requests naming another get 404)", default: MOCK_DEFAULTS.model },
  { flag: "--ttft-ms <ms>", description: "Time to first token after getting a server slot, ms", default: MOCK_DEFAULTS.ttftMs },
  { flag: "--itl-ms <ms>", description: "Time between tokens, ms", default: MOCK_DEFAULTS.itlMs },
  { flag: "--jitter-ms <ms>", description: "Uniform ± jitter on TTFT and every token gap, ms (seeded)", default: MOCK_DEFAULTS.jitterMs },
  { flag: "--tokens-per-chunk <n>", description: "Tokens per streamed chunk after the first (OpenAI APIs; TGI sends one per event)", default: MOCK_DEFAULTS.tokensPerChunk },
  { flag: "--max-concurrency <n>", description: "Requests generating at once; more wait in a queue (0 = unlimited)", default: MOCK_DEFAULTS.maxConcurrency },
  { flag: "--error-rate <fraction>", description: "Fraction of requests answered with HTTP 500 (chosen from the seed)", default: MOCK_DEFAULTS.errorRate },
  { flag: "--seed <n>", description: "Seed of the generated text, jitter and error choices", default: MOCK_DEFAULTS.seed },
  { flag: "--no-exact-prompt-tokens", description: "Report prompt_tokens as ceil(chars/4); without this flag they are the GPT-2 tokenizer's count", default: true },
  {
    flag: "--fault <spec>",
    description:
      "Inject a fault, repeatable: KIND[=VALUE]@SELECTOR, KIND status|cut|stall|malformed|error-event|hang|slow-headers|huge-event|bad-utf8, SELECTOR all|every:N|from:I|at:I,J (0-based request index)",
    default: undefined,
  },
  { flag: "--die-after <n>", description: "Exit the process when generation request n+1 arrives (simulates a killed server)", default: undefined },
  {
    flag: "--keep-alive-timeout-s <s>",
    description: "As llama-server: send Keep-Alive: timeout=S and close a connection idle S seconds after a response (0 = never)",
    default: MOCK_DEFAULTS.keepAliveTimeoutS,
  },
];

/** A numeric flag's value (cac may hand it over as a string); undefined when not given, an error when not a number. */
function numberFlag(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n)) throw new VbenchError("mock_option", `--${name} must be a number, got "${String(v)}"`);
  return n;
}

/** MockOptions from cac's parsed flags (numbers may arrive as strings; --fault as a string or an array). */
export function mockOptionsFromFlags(flags: Readonly<Record<string, unknown>>): MockOptions {
  const faultsRaw = flags.fault === undefined ? [] : Array.isArray(flags.fault) ? flags.fault : [flags.fault];
  const faults: FaultSpec[] = faultsRaw.map((f) => (typeof f === "string" ? parseFault(f) : (f as FaultSpec)));
  const dieAfter = numberFlag("die-after", flags.dieAfter);
  return resolveMockOptions({
    port: numberFlag("port", flags.port),
    host: flags.host === undefined ? undefined : String(flags.host),
    model: flags.model === undefined ? undefined : String(flags.model),
    ttftMs: numberFlag("ttft-ms", flags.ttftMs),
    itlMs: numberFlag("itl-ms", flags.itlMs),
    jitterMs: numberFlag("jitter-ms", flags.jitterMs),
    tokensPerChunk: numberFlag("tokens-per-chunk", flags.tokensPerChunk),
    maxConcurrency: numberFlag("max-concurrency", flags.maxConcurrency),
    errorRate: numberFlag("error-rate", flags.errorRate),
    seed: numberFlag("seed", flags.seed),
    exactPromptTokens: flags.exactPromptTokens === undefined ? undefined : flags.exactPromptTokens !== false,
    faults,
    dieAfter: dieAfter === undefined ? null : dieAfter,
    keepAliveTimeoutS: numberFlag("keep-alive-timeout-s", flags.keepAliveTimeoutS),
  });
}

/** The flags that reproduce `options` (for starting `vbench mock` in a child process). */
export function mockOptionsToArgs(options: Partial<MockOptions>): string[] {
  const resolved = resolveMockOptions(options);
  const args = [
    "--port", String(resolved.port),
    "--host", resolved.host,
    "--model", resolved.model,
    "--ttft-ms", String(resolved.ttftMs),
    "--itl-ms", String(resolved.itlMs),
    "--jitter-ms", String(resolved.jitterMs),
    "--tokens-per-chunk", String(resolved.tokensPerChunk),
    "--max-concurrency", String(resolved.maxConcurrency),
    "--error-rate", String(resolved.errorRate),
    "--seed", String(resolved.seed),
  ];
  if (!resolved.exactPromptTokens) args.push("--no-exact-prompt-tokens");
  for (const f of resolved.faults) args.push("--fault", formatFault(f));
  if (resolved.dieAfter !== null) args.push("--die-after", String(resolved.dieAfter));
  if (resolved.keepAliveTimeoutS > 0) args.push("--keep-alive-timeout-s", String(resolved.keepAliveTimeoutS));
  return args;
}
