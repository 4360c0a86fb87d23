/**
 * What a garbage collection costs the dispatching thread, in process (no
 * network): (a) how long a plain JavaScript loop stands still at each
 * collection the runtime starts by itself, with a small heap and client-like
 * garbage; (b) the cost of a synchronous eden collection after 1024 requests
 * went through the raw-socket client (stand-in socket, openai parser, records
 * kept as a run keeps them). Part (a) is the floor any one-thread dispatcher
 * pays per collection on this machine; part (b) is what vbench's own per-request
 * garbage adds. Figures for docs/performance.md (issue 6's p99 analysis).
 *
 *   npx bun bench/gc-cost.ts [--seconds 3]
 */
import { edenGC } from "bun:jsc";
import openai from "../plugins/backends/openai.ts";
import { HttpClient, parseOrigin } from "../src/engine/http.ts";
import { TimedRequest, requestBytes } from "../src/engine/request.ts";
import { prepareRequest } from "../src/engine/prepare.ts";
import type { RequestRecord } from "../src/base/request-types.ts";
import type { ResolvedScenario } from "../src/base/scenario-types.ts";
import { benchArgs, machineLoad, report } from "./_lib.ts";

const STALL_MS = 0.5;

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** (a) Spin for `seconds`, allocating a parsed chunk per 16 turns; every gap over STALL_MS is a stop of the thread. */
function loopStalls(seconds: number): { stalls: number[]; turns: number } {
  let live: unknown[] = [];
  const stalls: number[] = [];
  let last = performance.now();
  const end = last + seconds * 1000;
  let turns = 0;
  for (;;) {
    const now = performance.now();
    if (now - last > STALL_MS) stalls.push(now - last);
    last = now;
    if (now > end) break;
    if ((turns++ & 15) === 0) live.push({ at: now, id: "r-" + turns, chunk: JSON.parse('{"choices":[{"index":0,"text":" tok"}]}') });
    if (live.length > 2000) live = [];
  }
  return { stalls: stalls.sort((a, b) => a - b), turns };
}

const encoder = new TextEncoder();
const origin = parseOrigin("http://127.0.0.1:8000");

function chunked(text: string): Uint8Array {
  return encoder.encode(`${encoder.encode(text).byteLength.toString(16)}\r\n${text}\r\n`);
}

/** (b) Median and p90 of edenGC() after each batch of 1024 requests (2 tokens each) whose records are kept. */
function clientGarbage(batches: number): { medianMs: number; p90Ms: number } {
  const scenario = { endpointPath: "/v1/completions", servedModel: "m", sampling: {}, extraBody: {} } as unknown as ResolvedScenario;
  const prepared = prepareRequest(origin, scenario, openai, { "Content-Type": "application/json" }, { prompt: "hello", inputTokens: 1, outputTokens: 2 } as never, true);
  const head = encoder.encode("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nx-request-id: r-1\r\nTransfer-Encoding: chunked\r\n\r\n");
  const event = (k: number) => chunked(`data: {"id":"cmpl-0","object":"text_completion","model":"m","choices":[{"index":0,"text":" tok${k}","finish_reason":null}]}\n\n`);
  const reads = [head, event(0), event(1), chunked('data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n'), new Uint8Array([...chunked("data: [DONE]\n\n"), ...encoder.encode("0\r\n\r\n")])];
  const client = new HttpClient();
  const socket = { data: { exchange: null as unknown, origin, client, idle: true }, write: (b: Uint8Array) => b.byteLength, end() {}, terminate() {}, setNoDelay() {} };
  (client as unknown as { idle: Map<string, unknown[]> }).idle.set(origin.authority, [socket]);
  const records: RequestRecord[] = [];
  const onDone = (_r: TimedRequest, record: RequestRecord) => void records.push(record);
  const times: number[] = [];
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < 1024; i++) {
      const request = new TimedRequest(i, `r-${i}`, prepared, openai, 0, 0, 0, onDone);
      request.markSent(0);
      client.send(origin, requestBytes(prepared, `r-${i}`), request);
      const ex = socket.data.exchange as never;
      for (let k = 0; k < reads.length; k++) client.feed(socket as never, ex, reads[k]!, 1 + k);
    }
    const t = performance.now();
    edenGC();
    if (b >= 10) times.push(performance.now() - t); // the first batches warm the JIT
    if (records.length > 50_000) records.length = 0; // a run's records, bounded
  }
  if (records.length === 0 || !records.every((r) => r.success)) throw new Error("the stand-in requests did not complete");
  times.sort((a, b) => a - b);
  return { medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9) };
}

if (import.meta.main) {
  const args = benchArgs();
  const seconds = Number(args.get("seconds") ?? 3);
  const load = machineLoad();
  const { stalls, turns } = loopStalls(seconds);
  const garbage = clientGarbage(110);
  report(
    "garbage collection as the dispatching thread sees it",
    [
      `(a) a spinning loop (${(turns / 1e6).toFixed(0)} M turns in ${seconds} s, small heap): ${stalls.length} stops over ${STALL_MS} ms (${(stalls.length / seconds).toFixed(1)}/s), median ${quantile(stalls, 0.5).toFixed(2)} ms, p90 ${quantile(stalls, 0.9).toFixed(2)} ms, max ${(stalls.at(-1) ?? NaN).toFixed(2)} ms (about one collection per stop: BUN_JSC_logGC=1 logs as many)`,
      `(b) eden collection after 1024 client requests, records kept: median ${garbage.medianMs.toFixed(2)} ms, p90 ${garbage.p90Ms.toFixed(2)} ms`,
    ],
    `npx bun bench/gc-cost.ts --seconds ${seconds}`,
    load,
  );
}
