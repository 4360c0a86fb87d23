/**
 * One generation request through the simulator (chat, completions, TGI):
 * the die-after and per-request faults, the body's validation, the truth
 * record, then a Generation that the central Ticker paces.
 */
import { createRng } from "../base/rng.ts";
import { faultFor, faultValue, type FaultSpec } from "./faults.ts";
import { Generation, type GenerationDeps } from "./generation.ts";
import type { MockOptions } from "./options.ts";
import { parseGenerationBody, type ParseResult, type PromptCounter } from "./requests.ts";
import type { TokenText } from "./text.ts";
import type { TruthPath, TruthStore } from "./truth.ts";
import { createWire, openAiError, tgiError, type ApiKind } from "./wire.ts";

/** Stands in for the jitter generator when jitterMs is 0 (it is never drawn from then). */
const NO_JITTER = createRng(0, "unused");

/** Never settles: the hang fault (and requests arriving after die-after) get no answer. */
const never = (): Promise<Response> => new Promise<Response>(() => {});

const STATUS_TYPES: Record<number, string> = {
  400: "BadRequestError",
  404: "NotFoundError",
  429: "RateLimitError",
  500: "InternalServerError",
  503: "ServiceUnavailableError",
};

function errorResponse(kind: ApiKind, status: number, message: string, headers: Record<string, string>, body?: string): Response {
  const text =
    body ??
    (kind === "tgi"
      ? tgiError(message, status === 429 || status === 503 ? "overloaded" : status < 500 ? "validation" : "generation")
      : openAiError(message, STATUS_TYPES[status] ?? "Error", status));
  return new Response(text, { status, headers: { ...headers, "content-type": "application/json" } });
}

/** The body as JSON, its hash recorded in the truth; a 400 (TGI: 422) when it is not JSON. */
async function readBody(req: Request, kind: ApiKind, truth: TruthStore, handle: number): Promise<ParseResult> {
  let raw: unknown;
  try {
    const body = await req.text();
    truth.setBodyHash(handle, Bun.hash(body).toString(16));
    raw = JSON.parse(body);
  } catch {
    return { ok: false, status: kind === "tgi" ? 422 : 400, message: "request body is not valid JSON" };
  }
  return parseGenerationBody(kind, raw);
}

export interface GenerateRouteDeps extends GenerationDeps {
  countPrompt: PromptCounter;
  text: TokenText;
  /** Called once, when the die-after fault fires. */
  die: () => void;
}

export class GenerateRoute {
  /** Generation requests received, answered or not: the next request's index. */
  requestCount = 0;
  private dead = false;

  constructor(
    private readonly options: MockOptions,
    private readonly deps: GenerateRouteDeps,
  ) {}

  /** Answer one request on `path`; `stream` is the TGI route's choice (OpenAI bodies carry their own). */
  async handle(req: Request, path: TruthPath, kind: ApiKind, stream: boolean): Promise<Response> {
    const receivedAtMs = performance.now();
    const index = this.requestCount++;
    const { options, deps } = this;
    const truth = deps.truth;
    if (this.dead) return never();
    if (options.dieAfter !== null && index >= options.dieAfter) {
      this.dead = true;
      deps.die();
      return never();
    }
    const requestId = req.headers.get("x-request-id") ?? "";
    const headers: Record<string, string> = requestId ? { "x-request-id": requestId } : {};
    const handle = truth.add(index, requestId, path, receivedAtMs);
    const fault: FaultSpec | undefined = faultFor(options.faults, index);
    if (fault) truth.setFault(handle, fault.kind);
    const answer = (status: number, message: string, body?: string): Response => {
      truth.setStatus(handle, status);
      truth.finish(handle, performance.now());
      return errorResponse(kind, status, message, headers, body);
    };

    if (fault?.kind === "status") return answer(faultValue(fault), `Mock fault: HTTP ${faultValue(fault)}`, fault.body);
    if (fault?.kind === "hang") return never();

    const parsed = await readBody(req, kind, truth, handle);
    if (!parsed.ok) return answer(parsed.status, parsed.message);
    const request = parsed.request;
    if (kind !== "tgi" && request.model !== "" && request.model !== options.model) {
      return answer(404, `The model \`${request.model}\` does not exist.`);
    }
    const promptTokens = deps.countPrompt(request);
    truth.setPromptTokens(handle, promptTokens);
    if (options.errorRate > 0 && createRng(options.seed, `mock-error:${index}`).next() < options.errorRate) {
      truth.setFault(handle, "error-rate");
      return answer(500, "Mock server error (error_rate)");
    }
    if (fault?.kind === "slow-headers") await Bun.sleep(faultValue(fault));

    const streamed = kind === "tgi" ? stream : request.stream;
    const generation = new Generation(deps, {
      wire: createWire({ kind, index, model: options.model, text: deps.text, outputTokens: request.outputTokens, promptTokens, includeUsage: request.includeUsage }),
      stream: streamed,
      outputTokens: request.outputTokens,
      tokensPerChunk: kind === "tgi" ? 1 : options.tokensPerChunk,
      ttftMs: options.ttftMs,
      itlMs: options.itlMs,
      jitterMs: options.jitterMs,
      rng: options.jitterMs > 0 ? createRng(options.seed, `mock-jitter:${index}`) : NO_JITTER,
      fault,
      truth: handle,
    });
    return streamed ? generation.streamResponse(headers) : generation.bodyResponse();
  }
}
