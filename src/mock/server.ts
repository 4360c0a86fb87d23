/**
 * The built-in simulated inference server (`vbench mock`): OpenAI chat and
 * completions, TGI generate / generate_stream, model discovery, health, and
 * the simulator's own timing record at /_truth. Real HTTP on Bun.serve; all
 * token timing runs on one central Ticker.
 */
import { GenerateRoute } from "./generate-route.ts";
import { resolveMockOptions, type MockOptions } from "./options.ts";
import { createPromptCounter } from "./requests.ts";
import { Slots } from "./slots.ts";
import { createTokenText } from "./text.ts";
import { Ticker } from "./ticker.ts";
import { TruthStore, type TruthPath, type TruthRecord } from "./truth.ts";
import { openAiError, type ApiKind } from "./wire.ts";
import { discoveryRoutes, summarizeTruth, truthRoutes, type TruthDeps, type TruthSummary } from "./routes.ts";
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
   * Called when the die-after fault fires. `vbench mock` ends its process (cli.ts exits 137);
   * the in-process default drops the listener and every connection at once.
   */
  onDie?: () => void;
}

export async function startMockServer(partial: Partial<MockOptions> = {}, hooks: MockHooks = {}): Promise<MockServer> {
  const options = resolveMockOptions(partial);
  const countPrompt = await createPromptCounter(options.exactPromptTokens);
  const truth = new TruthStore();
  // Chunks are stamped when their batch ends: that is when Bun hands the bytes to the kernel.
  const ticker = new Ticker((nowMs) => truth.stampPending(nowMs));
  const slots = new Slots(options.maxConcurrency);
  const generation = new GenerateRoute(options, {
    ticker,
    truth,
    slots,
    countPrompt,
    text: createTokenText(options.seed),
    die: () => (hooks.onDie ?? (() => void stop()))(),
  });
  const generate = (path: TruthPath, kind: ApiKind, stream: boolean) => (req: Request) => generation.handle(req, path, kind, stream);
  const truthDeps: TruthDeps = { truth, slots, ticker, requestCount: () => generation.requestCount };

  const keepAliveS = options.keepAliveTimeoutS;
  /** In keep-alive mode every response says how long the server keeps an idle connection. */
  const headed = <A extends unknown[]>(handler: (...args: A) => Response | Promise<Response>) =>
    keepAliveS > 0 ? async (...args: A) => withKeepAliveHeader(await handler(...args), keepAliveS) : handler;
  const routes: Record<string, Record<string, (req: Request) => Response | Promise<Response>>> = {
    ...discoveryRoutes(options.model),
    ...truthRoutes(truthDeps),
    "/v1/chat/completions": { POST: generate("/v1/chat/completions", "chat", true) },
    "/v1/completions": { POST: generate("/v1/completions", "completion", true) },
    "/generate_stream": { POST: generate("/generate_stream", "tgi", true) },
    "/generate": { POST: generate("/generate", "tgi", false) },
  };
  for (const methods of Object.values(routes)) for (const method of Object.keys(methods)) methods[method] = headed(methods[method]!);

  const server = Bun.serve({
    // In keep-alive mode the front (./keep-alive.ts) owns the public port and relays to this one.
    hostname: keepAliveS > 0 ? "127.0.0.1" : options.host,
    port: keepAliveS > 0 ? 0 : options.port,
    // Streams and queued requests may be silent for long; never time a connection out.
    idleTimeout: 0,
    development: false,
    routes,
    fetch: headed(() => new Response(openAiError("Not Found", "NotFoundError", 404), { status: 404, headers: { "content-type": "application/json" } })),
  });
  const front = keepAliveS > 0 ? startKeepAliveFront({ host: options.host, port: options.port, innerPort: server.port!, timeoutS: keepAliveS }) : null;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    ticker.stop();
    front?.stop();
    await server.stop(true);
  };

  const port = front ? front.port : server.port!;
  return {
    port,
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
    stop,
    truth: () => truth.records(),
    summary: () => summarizeTruth(truthDeps),
  };
}
