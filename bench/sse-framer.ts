/**
 * Micro-benchmark of the SSE framer (and framer + openai-chat parser):
 * events/s with (a) one event per read, as a token-by-token stream arrives,
 * and (b) 64 events per read, as a backlogged socket delivers them.
 * Run: `npx bun bench/sse-framer.ts`. Prints one line per case on stdout.
 */
import openaiChat from "../plugins/backends/openai-chat.ts";
import { createSseFramer } from "../src/wire/sse.ts";

export interface FramerBenchResult {
  name: string;
  events: number;
  seconds: number;
  eventsPerS: number;
}

// A vLLM chat chunk as sent on the wire (~250 bytes).
const EVENT =
  'data: {"id":"chatcmpl-8f1c2a9e","object":"chat.completion.chunk","created":1718000000,' +
  '"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":" token"},' +
  '"logprobs":null,"finish_reason":null}]}\n\n';

function run(name: string, eventsPerPush: number, totalEvents: number, withParser: boolean): FramerBenchResult {
  const chunk = new TextEncoder().encode(EVENT.repeat(eventsPerPush));
  const pushes = Math.ceil(totalEvents / eventsPerPush);
  let seen = 0;
  // One framer per simulated request of 256 events, as the core would create them.
  const perRequest = Math.max(1, Math.floor(256 / eventsPerPush));
  const start = Bun.nanoseconds();
  for (let done = 0; done < pushes; done += perRequest) {
    const parser = withParser ? openaiChat.createParser() : undefined;
    const framer = createSseFramer(parser ? (p) => (seen += parser.onPayload(p)) : () => seen++);
    const n = Math.min(perRequest, pushes - done);
    for (let i = 0; i < n; i++) framer.push(chunk);
    framer.end();
  }
  const seconds = (Bun.nanoseconds() - start) / 1e9;
  if (seen === 0) throw new Error("no events framed");
  const events = pushes * eventsPerPush;
  return { name, events, seconds, eventsPerS: events / seconds };
}

export function benchSseFramer(totalEvents = 1_000_000): FramerBenchResult[] {
  const cases: [string, number, boolean][] = [
    ["framer, 1 event/push", 1, false],
    ["framer, 64 events/push", 64, false],
    ["framer+openai-chat parser, 1 event/push", 1, true],
    ["framer+openai-chat parser, 64 events/push", 64, true],
  ];
  for (const [name, per, parse] of cases) run(name, per, totalEvents / 10, parse); // warm-up (JIT)
  return cases.map(([name, per, parse]) => run(name, per, totalEvents, parse));
}

if (import.meta.main) {
  for (const r of benchSseFramer()) {
    const rate = Math.round(r.eventsPerS).toLocaleString("en-US");
    console.log(`sse ${r.name.padEnd(44)} ${rate.padStart(12)} events/s  (${r.events} events in ${r.seconds.toFixed(3)} s)`);
  }
}
