/**
 * The request producer's thread (src/engine/request-producer.ts,
 * producer-thread.ts) and the feed a dispatcher reads it through
 * (request-feed.ts): bytes identical to building in this thread, and never
 * more than the look-ahead built ahead of what was taken.
 */
import { describe, expect, test } from "bun:test";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import { parseOrigin } from "../../src/engine/http.ts";
import { prepareRequest, requestHeaders } from "../../src/engine/prepare.ts";
import { lookAheadFor, refillChunk, startProducerThread } from "../../src/engine/producer-thread.ts";
import { openFeed } from "../../src/engine/request-feed.ts";
import { arraySchedule, atStart } from "../../src/engine/schedule.ts";
import { openSource, type WorkloadData } from "../../src/workload/index.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";
import { testScenario } from "../helpers/scenario.ts";

const scenario = testScenario({ randomInputLen: 12, randomOutputLen: 3 });
const origin = parseOrigin("http://127.0.0.1:1");
const headers = requestHeaders(scenario, openaiChat, undefined);
const data: WorkloadData = { type: "random", inputLen: 12, outputLen: 3, rangeRatio: 0.5, prefixLen: 0, seed: 4 };
const gpt2 = await loadTokenizer("gpt2");

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 10_000; waited += 5) await Bun.sleep(5);
}

describe("the producer thread", () => {
  test("stays the look-ahead ahead of what the dispatcher took (to within a refill), never beyond it, and its bytes are the ones built here", async () => {
    const producer = startProducerThread({ data, tokenizer: "gpt2", backend: openaiChat, backendBuiltIn: true, scenario, origin, headers, ignoreEos: true, count: 1000, lookAhead: 16, consumers: 1 });
    expect(producer).not.toBeNull();
    const feed = openFeed(producer!.feeds[0]!);
    await producer!.filled;
    await until(() => feed.received >= 16);
    await Bun.sleep(100);
    expect(feed.received).toBe(16);

    const source = openSource(data, gpt2);
    const local = (j: number) => prepareRequest(origin, scenario, openaiChat, headers, source.item(j), true);
    for (let j = 0; j < 10; j++) {
      const got = feed.get(j);
      const want = local(j);
      expect(Buffer.from(got.head).equals(Buffer.from(want.head))).toBe(true);
      expect(Buffer.from(got.tail).equals(Buffer.from(want.tail))).toBe(true);
      expect([got.inputTokens, got.requestedOutputTokens]).toEqual([want.inputTokens, want.requestedOutputTokens]);
    }
    // 10 taken: the producer, woken during those gets, builds to what was taken then plus 16, and builds again only
    // once a refill chunk (4) is missing, so it ends 23 to 26 built, never more.
    await until(() => feed.received >= 23);
    await Bun.sleep(100);
    expect(feed.received).toBeGreaterThanOrEqual(10 + 16 - (refillChunk(16) - 1));
    expect(feed.received).toBeLessThanOrEqual(10 + 16);
    const done = await producer!.stop();
    expect(done.built).toBe(feed.received);
    feed.close();
  });

  test("refills in chunks, and builds the last few requests of the run too", async () => {
    const producer = startProducerThread({ data, tokenizer: "gpt2", backend: openaiChat, backendBuiltIn: true, scenario, origin, headers, ignoreEos: true, count: 50, lookAhead: 40, consumers: 1 });
    const feed = openFeed(producer!.feeds[0]!);
    await producer!.filled;
    await until(() => feed.received >= 40);
    // Fewer than a quarter of the look-ahead taken: no refill yet.
    for (let j = 0; j < 5; j++) feed.get(j);
    await Bun.sleep(100);
    expect(feed.received).toBe(40);
    // The 10 left are fewer than the refill chunk, and still come.
    for (let j = 5; j < 40; j++) feed.get(j);
    await until(() => feed.received >= 50);
    expect(feed.received).toBe(50);
    expect((await producer!.stop()).built).toBe(50);
    feed.close();
  });

  test("a shard's producer builds only its own requests: local j is global first + j·step", async () => {
    const producer = startProducerThread({ data, tokenizer: "gpt2", backend: openaiChat, backendBuiltIn: false, scenario, origin, headers, ignoreEos: true, count: 5, indexMap: { first: 1, step: 3 }, lookAhead: 5, consumers: 1 });
    const source = openSource(data, gpt2);
    // A backend loaded from disk: items arrive, the dispatcher's thread builds the bodies.
    const feed = openFeed(producer!.feeds[0]!, { toBytes: (item) => prepareRequest(origin, scenario, openaiChat, headers, item, true) });
    await producer!.filled;
    await until(() => feed.received >= 5);
    for (let j = 0; j < 5; j++) {
      const want = prepareRequest(origin, scenario, openaiChat, headers, source.item(1 + 3 * j), true);
      expect(Buffer.from(feed.get(j).tail).equals(Buffer.from(want.tail))).toBe(true);
    }
    expect((await producer!.stop()).built).toBe(5);
    feed.close();
  });

  test("a thread that failed before its first look-ahead is ended: nothing keeps the process alive", async () => {
    // Its own process, which must end by itself once the failure is reported (a live thread would keep it running).
    const code = `
      import openaiChat from ${JSON.stringify(`${import.meta.dir}/../../plugins/backends/openai-chat.ts`)};
      import { startProducerThread } from ${JSON.stringify(`${import.meta.dir}/../../src/engine/producer-thread.ts`)};
      const scenario = ${JSON.stringify(scenario)};
      const producer = startProducerThread({ data: ${JSON.stringify(data)}, tokenizer: "no-such-tokenizer.json", backend: openaiChat, backendBuiltIn: true, scenario, origin: ${JSON.stringify(origin)}, headers: {}, ignoreEos: true, count: 10, lookAhead: 4, consumers: 1 });
      await producer.filled.catch((error) => console.log("failed: " + error.message));
    `;
    const child = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => child.kill(), 30_000);
    const [exitCode, stdout] = await Promise.all([child.exited, new Response(child.stdout).text()]);
    clearTimeout(killer);
    expect(stdout).toContain("failed: Cannot load tokenizer no-such-tokenizer.json");
    expect(child.signalCode).toBeNull();
    expect(exitCode).toBe(0);
  }, 60_000);
});

describe("look-ahead", () => {
  test("about a second of the schedule; twice max_concurrency at rate inf; everything at once without a limit; within bounds", () => {
    expect(lookAheadFor(atStart(1_000_000_000), 4)).toBe(16);
    expect(lookAheadFor(atStart(1_000_000_000), 100)).toBe(200);
    expect(lookAheadFor(atStart(500), null)).toBe(500);
    expect(lookAheadFor(atStart(1_000_000), null)).toBe(16_384);
    expect(lookAheadFor(atStart(3), 4)).toBe(3);
    const perMs = arraySchedule(Float64Array.from({ length: 5000 }, (_, i) => i)); // 1000 a second
    expect(lookAheadFor(perMs, null)).toBe(1000);
  });
});
