/**
 * The client's own CPU per request and per streamed event, without the
 * network or the kernel: responses are fed to the raw-socket client
 * (src/engine/http.ts) through a stand-in socket, one SSE event per read as a
 * token-by-token stream arrives, into TimedRequest with the openai parser
 * (the exact code `vbench run` executes per read). What remains per read in a
 * real run is the runtime's socket callback and the kernel.
 *
 *   npx bun bench/client-cpu.ts [--requests 20000] [--events 64] [--in-flight 1024]
 */
import openai from "../plugins/backends/openai.ts";
import { HttpClient, parseOrigin } from "../src/engine/http.ts";
import type { Exchange } from "../src/engine/http-exchange.ts";
import { TimedRequest, requestBytes } from "../src/engine/request.ts";
import { prepareRequest } from "../src/engine/prepare.ts";
import type { ResolvedScenario } from "../src/base/scenario-types.ts";
import type { RequestRecord } from "../src/base/request-types.ts";
import { benchArgs, machineLoad, report } from "./_lib.ts";

const encoder = new TextEncoder();
const origin = parseOrigin("http://127.0.0.1:8000");
const HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nDate: Sat, 28 Nov 2026 00:10:43 GMT\r\nx-request-id: r-1\r\nTransfer-Encoding: chunked\r\n\r\n";

function chunk(text: string): Uint8Array {
  const body = encoder.encode(text);
  return encoder.encode(`${body.byteLength.toString(16)}\r\n${text}\r\n`);
}

const event = (k: number) =>
  chunk(`data: {"id":"cmpl-mock-0","object":"text_completion","created":1795824643,"model":"vbench-mock","choices":[{"index":0,"text":" tok${k % 10}","logprobs":null,"finish_reason":null,"stop_reason":null}]}\n\n`);

/** A stand-in for a Bun socket: the client only reads `data` and calls these. */
function fakeSocket(client: HttpClient) {
  // Idle since 0 with no announced limit: the pool hands it out like a fresh kept-alive connection.
  return { data: { exchange: null as unknown, origin, client, idle: true, idleSinceMs: 0, keepAliveTimeoutMs: Infinity }, write: (b: Uint8Array) => b.byteLength, end() {}, terminate() {}, setNoDelay() {} };
}

/**
 * CPU seconds of `requests` requests of `events` token events each, fed read by read: `inFlight` at a
 * time, each read going to the next request in turn (as 1024 streams' messages arrive), so every read
 * meets state another request's reads have pushed out of the CPU's caches.
 */
export function measureClientCpu(requests: number, events: number, inFlight = 1): number {
  const scenario = { endpointPath: "/v1/completions", servedModel: "m", sampling: {}, extraBody: {} } as unknown as ResolvedScenario;
  const prepared = prepareRequest(origin, scenario, openai, { "Content-Type": "application/json" }, { prompt: "hello", inputTokens: 1, outputTokens: events } as never, true);
  const head = encoder.encode(HEAD);
  const reads = Array.from({ length: events }, (_, k) => event(k));
  const usage = chunk(`data: {"id":"cmpl-mock-0","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":${events},"total_tokens":${events + 1}}}\n\n`);
  const tail = new Uint8Array([...chunk("data: [DONE]\n\n"), ...encoder.encode("0\r\n\r\n")]);
  const client = new HttpClient();
  (client as unknown as { idle: Map<string, unknown[]> }).idle.set(origin.authority, Array.from({ length: inFlight }, () => fakeSocket(client)));
  let ok = 0;
  const onDone = (_r: TimedRequest, record: RequestRecord) => {
    if (record.success && record.chunkAtMs.length === events) ok++;
  };
  const exchanges: Exchange[] = [];
  const feedAll = (bytes: Uint8Array, now: number) => {
    for (const ex of exchanges) client.feed(ex.socket!, ex, bytes, now);
  };
  const run = (n: number) => {
    for (let i = 0; i < n; ) {
      exchanges.length = 0;
      for (const end = Math.min(n, i + inFlight); i < end; i++) {
        const request = new TimedRequest(i, `r-${i}`, prepared, openai, 0, 0, 0, onDone);
        request.markSent(0);
        exchanges.push(client.send(origin, requestBytes(prepared, `r-${i}`), request) as Exchange);
      }
      feedAll(head, 1);
      for (let k = 0; k < events; k++) feedAll(reads[k]!, 2 + k);
      feedAll(usage, 2 + events);
      feedAll(tail, 3 + events);
    }
  };
  run(Math.max(100, requests / 10)); // JIT
  ok = 0;
  const cpu0 = process.cpuUsage();
  run(requests);
  const cpu = process.cpuUsage(cpu0);
  if (ok !== requests) throw new Error(`only ${ok} of ${requests} requests completed with ${events} events`);
  return (cpu.user + cpu.system) / 1e6;
}

export function benchClientCpu(args = benchArgs()): { perRequestUs: number; perEventUs: number } {
  const requests = Number(args.get("requests") ?? 20000);
  const events = Number(args.get("events") ?? 64);
  const inFlight = Number(args.get("in-flight") ?? 1024);
  const load = machineLoad();
  // Two event counts: CPU = requests × (perRequest + events × perEvent), solved for both.
  const split = (concurrent: number) => {
    const few = measureClientCpu(requests, 1, concurrent);
    const many = measureClientCpu(requests, events, concurrent);
    const perEventUs = ((many - few) / (requests * (events - 1))) * 1e6;
    return { perEventUs, perRequestUs: (few / requests) * 1e6 - perEventUs, few, many };
  };
  const one = split(1);
  const many = split(inFlight);
  const line = (what: string, x: ReturnType<typeof split>) =>
    `${what}: per request (send, head, record) ${x.perRequestUs.toFixed(2)} µs; per streamed event ${x.perEventUs.toFixed(3)} µs (${requests} requests × 1 and × ${events} events: ${x.few.toFixed(2)} s and ${x.many.toFixed(2)} s CPU)`;
  report(
    "client CPU without the network (raw client + SSE framer + openai parser, one event per read)",
    [
      line("one request at a time", one),
      line(`${inFlight} in flight, reads round-robin (as ${inFlight} streams arrive)`, many),
      `JIT: ${process.env.BUN_JSC_useFTLJIT === "false" ? "top tier off, as vbench run has it" : "top tier on (vbench run turns it off: BUN_JSC_useFTLJIT=false to match)"}`,
    ],
    `npx bun bench/client-cpu.ts --requests ${requests} --events ${events} --in-flight ${inFlight}`,
    load,
  );
  return one;
}

if (import.meta.main) benchClientCpu();
