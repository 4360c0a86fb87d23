/**
 * HTTP stacks compared on the job vbench needs: many concurrent SSE streams,
 * one event per read. The same SSE framer and openai parser run behind each
 * stack, so only the HTTP layer differs:
 * - raw: vbench's client (src/engine/http.ts on Bun.connect) with TimedRequest,
 *   exactly the path `vbench run` takes;
 * - fetch: Bun's fetch + body.getReader();
 * - node:http: http.request with a keep-alive agent and no socket cap.
 * Per stack: CPU time per event of this process and events/s, streaming from
 * the simulator in its own process; then the in-flight limit: 1024 requests
 * with a 1.5 s first token, and how many the server saw at once.
 *
 *   npx bun bench/http-stacks.ts [--streams 128] [--tokens 400] [--itl-ms 4] [--inflight 1024]
 */
import http from "node:http";
import openai from "../plugins/backends/openai.ts";
import { HttpClient, parseOrigin } from "../src/engine/http.ts";
import { TimedRequest, requestBytes } from "../src/engine/request.ts";
import { prepareRequest } from "../src/engine/prepare.ts";
import { createSseFramer } from "../src/wire/sse.ts";
import { PayloadKind } from "../src/base/plugin-types.ts";
import type { ResolvedScenario } from "../src/base/scenario-types.ts";
import { benchArgs, machineLoad, report, startSimulator } from "./_lib.ts";

type Stack = "raw" | "fetch" | "node:http";
const STACKS: Stack[] = (process.env.STACKS?.split(",") as Stack[] | undefined) ?? ["raw", "fetch", "node:http"];

interface StreamResult {
  stack: Stack;
  events: number;
  wallS: number;
  cpuS: number;
  failed: number;
}

const body = (tokens: number) => JSON.stringify({ model: "vbench-mock", prompt: "Stream tokens for the HTTP stack comparison.", max_tokens: tokens, stream: true, stream_options: { include_usage: true }, ignore_eos: true });

/** Run `count` requests at once through one stack; resolves with the token-bearing events seen. */
function driveOne(stack: Stack, url: string, count: number, tokens: number, client: HttpClient, agent: http.Agent): Promise<{ events: number; failed: number }> {
  const origin = parseOrigin(url);
  let events = 0;
  let failed = 0;
  let open = count;
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      if (!ok) failed++;
      if (--open === 0) resolve({ events, failed });
    };
    const text = body(tokens);
    if (stack === "raw") {
      const scenario = { endpointPath: "/v1/completions", servedModel: "vbench-mock", sampling: {}, extraBody: {} } as unknown as ResolvedScenario;
      const prepared = prepareRequest(origin, scenario, openai, { "Content-Type": "application/json" }, { prompt: "Stream tokens for the HTTP stack comparison.", inputTokens: 8, outputTokens: tokens } as never, true);
      for (let i = 0; i < count; i++) {
        const request = new TimedRequest(i, `raw-${i}`, prepared, openai, 0, 0, 0, (_r, record) => {
          events += record.chunkAtMs.length;
          finish(record.success);
        });
        const exchange = client.send(origin, requestBytes(prepared, `raw-${i}`), request);
        request.abortExchange = () => exchange.abort();
      }
      return;
    }
    for (let i = 0; i < count; i++) {
      const parser = openai.createParser();
      const framer = createSseFramer((payload) => {
        const kind = parser.onPayload(payload);
        if (kind === PayloadKind.Token || kind === PayloadKind.TokenAndDone) events++;
      });
      if (stack === "fetch") {
        void (async () => {
          try {
            const response = await fetch(`${url}/v1/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
            const reader = response.body!.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              framer.push(value);
            }
            framer.end();
            finish(parser.state.ended);
          } catch {
            finish(false);
          }
        })();
      } else {
        const req = http.request(`${url}/v1/completions`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) } }, (res) => {
          res.on("data", (chunk: Buffer) => framer.push(chunk));
          res.on("end", () => {
            framer.end();
            finish(parser.state.ended);
          });
          res.on("error", () => finish(false));
        });
        req.on("error", () => finish(false));
        req.end(text);
      }
    }
  });
}

async function streamCost(stack: Stack, url: string, streams: number, tokens: number): Promise<StreamResult> {
  const client = new HttpClient();
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    // Warm-up at full width: every connection opened and the JIT warm before the clock starts.
    await driveOne(stack, url, streams, 16, client, agent);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { events, failed } = await driveOne(stack, url, streams, tokens, client, agent);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { stack, events, wallS, cpuS: (cpu.user + cpu.system) / 1e6, failed };
  } finally {
    client.closeAll();
    agent.destroy();
  }
}

async function inFlightLimit(stack: Stack, count: number): Promise<{ peak: number; wallS: number }> {
  const mock = await startSimulator({ ttftMs: 1500, itlMs: 1 });
  const client = new HttpClient();
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  try {
    const t0 = performance.now();
    await driveOne(stack, mock.url, count, 2, client, agent);
    const wallS = (performance.now() - t0) / 1000;
    const summary = (await (await fetch(`${mock.url}/_truth/summary`)).json()) as { maxConcurrentStreams: number };
    return { peak: summary.maxConcurrentStreams, wallS };
  } finally {
    client.closeAll();
    agent.destroy();
    await mock.stop();
  }
}

export async function benchHttpStacks(args = benchArgs()): Promise<void> {
  const streams = Number(args.get("streams") ?? 128);
  const tokens = Number(args.get("tokens") ?? 400);
  const itlMs = Number(args.get("itl-ms") ?? 4);
  const inflight = Number(args.get("inflight") ?? 1024);
  const lines: string[] = [];
  const load = machineLoad();
  const mock = await startSimulator({ ttftMs: 5, itlMs, tokensPerChunk: 1 });
  try {
    for (const stack of STACKS) {
      const r = await streamCost(stack, mock.url, streams, tokens);
      lines.push(
        `${stack.padEnd(10)} ${r.events} events in ${r.wallS.toFixed(2)} s = ${Math.round(r.events / r.wallS).toLocaleString("en-US")} events/s; ` +
          `client CPU ${((r.cpuS * 1e6) / r.events).toFixed(2)} µs/event (${r.cpuS.toFixed(2)} s)${r.failed ? `, ${r.failed} failed` : ""}`,
      );
    }
  } finally {
    await mock.stop();
  }
  for (const stack of STACKS) {
    const r = await inFlightLimit(stack, inflight);
    lines.push(`${stack.padEnd(10)} in flight: ${inflight} requests with a 1.5 s first token → ${r.peak} at once at the server, all done in ${r.wallS.toFixed(2)} s`);
  }
  report(
    `HTTP stacks: ${streams} streams × ${tokens} tokens at ${itlMs} ms/token, one event per read`,
    lines,
    `npx bun bench/http-stacks.ts --streams ${streams} --tokens ${tokens} --itl-ms ${itlMs} --inflight ${inflight}`,
    load,
  );
}

if (import.meta.main) await benchHttpStacks();
