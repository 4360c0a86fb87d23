/**
 * The built-in simulated inference server (`vbench mock`): OpenAI chat and
 * completions, TGI generate / generate_stream, model discovery, health, and
 * the simulator's own timing record at /_truth. Real HTTP on Bun.serve; all
 * token timing runs on one central Ticker.
 */
import { createRng } from "../base/rng.ts";
import { faultFor, faultValue, type FaultSpec } from "./faults.ts";
import { Generation } from "./generation.ts";
import { resolveMockOptions, type MockOptions } from "./options.ts";
import { createPromptCounter, parseGenerationBody, type PromptCounter } from "./requests.ts";
import { Slots } from "./slots.ts";
import { createTokenText, type TokenText } from "./text.ts";
import { Ticker } from "./ticker.ts";
import { TruthStore, type TruthPath, type TruthRecord } from "./truth.ts";
import { createWire, openAiError, tgiError, type ApiKind } from "./wire.ts";
import { discoveryRoutes, summarize, truthRoutes, type TruthDeps, type TruthSummary } from "./routes.ts";
import { startKeepAliveFront, withKeepAliveHeader } from "./keep-alive.ts";

export interface MockServer {
  port: number;
  url: string;
  /** Stop listening and drop every open connection. */
  stop(): Promise<void>;
  truth(): TruthRecord[];
  summary(): TruthSummary;
}

export interface MockHooks {
  /**
   * Called when the die-after fault fires. The command passes a process exit;
   * the in-process default drops the listener and every connection at once.
   */
  onDie?: () => void;
}

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

export async function startMockServer(partial: Partial<MockOptions> = {}, hooks: MockHooks = {}): Promise<MockServer> {
  const o = resolveMockOptions(partial);
  const countPrompt: PromptCounter = await createPromptCounter(o.exactPromptTokens);
  const text: TokenText = createTokenText(o.seed);
  const truth = new TruthStore();
  // Chunks are stamped when their batch ends: that is when Bun hands the bytes to the kernel.
  const ticker = new Ticker((nowMs) => truth.stampPending(nowMs));
  const slots = new Slots(o.maxConcurrency);
  const deps = { ticker, truth, slots };
  let requestCount = 0;
  const truthDeps: TruthDeps = { truth, slots, ticker, requestCount: () => requestCount };
  let dead = false;

  const generate = async (req: Request, path: TruthPath, kind: ApiKind, stream: boolean): Promise<Response> => {
    const receivedAtMs = performance.now();
    const index = requestCount++;
    if (dead) return never();
    if (o.dieAfter !== null && index >= o.dieAfter) {
      dead = true;
      (hooks.onDie ?? dieInProcess)();
      return never();
    }
    const requestId = req.headers.get("x-request-id") ?? "";
    const headers: Record<string, string> = requestId ? { "x-request-id": requestId } : {};
    const h = truth.add(index, requestId, path, receivedAtMs);
    const fault: FaultSpec | undefined = faultFor(o.faults, index);
    if (fault) truth.setFault(h, fault.kind);
    const answer = (status: number, message: string, body?: string): Response => {
      truth.setStatus(h, status);
      truth.finish(h, performance.now());
      return errorResponse(kind, status, message, headers, body);
    };

    if (fault?.kind === "status") return answer(faultValue(fault), `Mock fault: HTTP ${faultValue(fault)}`, fault.body);
    if (fault?.kind === "hang") return never();

    let raw: unknown;
    try {
      const body = await req.text();
      truth.setBodyHash(h, Bun.hash(body).toString(16));
      raw = JSON.parse(body);
    } catch {
      return answer(kind === "tgi" ? 422 : 400, "request body is not valid JSON");
    }
    const parsed = parseGenerationBody(kind, raw);
    if (!parsed.ok) return answer(parsed.status, parsed.message);
    const r = parsed.request;
    if (kind !== "tgi" && r.model !== "" && r.model !== o.model) return answer(404, `The model \`${r.model}\` does not exist.`);
    const promptTokens = countPrompt(r);
    truth.setPromptTokens(h, promptTokens);
    if (o.errorRate > 0 && createRng(o.seed, `mock-error:${index}`).next() < o.errorRate) {
      truth.setFault(h, "error-rate");
      return answer(500, "Mock server error (error_rate)");
    }
    if (fault?.kind === "slow-headers") await Bun.sleep(faultValue(fault));

    const gen = new Generation(deps, {
      wire: createWire({ kind, index, model: o.model, text, outputTokens: r.outputTokens, promptTokens, includeUsage: r.includeUsage }),
      stream: kind === "tgi" ? stream : r.stream,
      outputTokens: r.outputTokens,
      tokensPerChunk: kind === "tgi" ? 1 : o.tokensPerChunk,
      ttftMs: o.ttftMs,
      itlMs: o.itlMs,
      jitterMs: o.jitterMs,
      rng: o.jitterMs > 0 ? createRng(o.seed, `mock-jitter:${index}`) : NO_JITTER,
      fault,
      truth: h,
    });
    return (kind === "tgi" ? stream : r.stream) ? gen.streamResponse(headers) : gen.bodyResponse();
  };

  const keepAliveS = o.keepAliveTimeoutS;
  /** In keep-alive mode every response says how long the server keeps an idle connection. */
  const headed = <A extends unknown[]>(handler: (...args: A) => Response | Promise<Response>) =>
    keepAliveS > 0 ? async (...args: A) => withKeepAliveHeader(await handler(...args), keepAliveS) : handler;
  const routes: Record<string, Record<string, (req: Request) => Response | Promise<Response>>> = {
    ...discoveryRoutes(o.model),
    ...truthRoutes(truthDeps),
    "/v1/chat/completions": { POST: (req) => generate(req, "/v1/chat/completions", "chat", true) },
    "/v1/completions": { POST: (req) => generate(req, "/v1/completions", "completion", true) },
    "/generate_stream": { POST: (req) => generate(req, "/generate_stream", "tgi", true) },
    "/generate": { POST: (req) => generate(req, "/generate", "tgi", false) },
  };
  for (const methods of Object.values(routes)) for (const method of Object.keys(methods)) methods[method] = headed(methods[method]!);

  const server = Bun.serve({
    // In keep-alive mode the front (./keep-alive.ts) owns the public port and relays to this one.
    hostname: keepAliveS > 0 ? "127.0.0.1" : o.host,
    port: keepAliveS > 0 ? 0 : o.port,
    // Streams and queued requests may be silent for long; never time a connection out.
    idleTimeout: 0,
    development: false,
    routes,
    fetch: headed(() => new Response(openAiError("Not Found", "NotFoundError", 404), { status: 404, headers: { "content-type": "application/json" } })),
  });
  const front = keepAliveS > 0 ? startKeepAliveFront({ host: o.host, port: o.port, innerPort: server.port!, timeoutS: keepAliveS }) : null;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    ticker.stop();
    front?.stop();
    await server.stop(true);
  };
  function dieInProcess(): void {
    void stop();
  }

  const port = front ? front.port : server.port!;
  return {
    port,
    url: `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`,
    stop,
    truth: () => truth.records(),
    summary: () => summarize(truthDeps),
  };
}
