import { describe, expect, test } from "bun:test";
import { startMockServer } from "../../src/mock/server.ts";
import { TruthStore, type TruthRecord } from "../../src/mock/truth.ts";
import type { TruthSummary } from "../../src/mock/routes.ts";
import { post } from "./helpers.ts";

/** The tick loop may run a chunk up to 0.5 ms before its due time. */
const EARLY_MS = 0.5;

const chat = (url: string, n: number, id: string): Promise<string> =>
  post(`${url}/v1/chat/completions`, { messages: [{ role: "user", content: "hi" }], max_tokens: n, stream: true }, { "x-request-id": id }).then((r) =>
    r.text(),
  );

/** Exact sweep-line maximum of overlapping [startedAt, doneAt) intervals. */
function maxOverlap(records: TruthRecord[]): number {
  const events: [number, number][] = [];
  for (const r of records) events.push([r.startedAtMs!, 1], [r.doneAtMs!, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0, max = 0;
  for (const [, d] of events) max = Math.max(max, (cur += d));
  return max;
}

describe("truth record", () => {
  test("per-request record: id, counts, ordering, schedule lower bounds", async () => {
    const ttftMs = 20, itlMs = 4;
    const s = await startMockServer({ ttftMs, itlMs });
    try {
      await Promise.all([chat(s.url, 5, "a"), chat(s.url, 8, "b")]);
      const fromHttp = (await (await fetch(`${s.url}/_truth`)).json()) as TruthRecord[];
      expect(fromHttp).toEqual(s.truth());
      const byId = Object.fromEntries(fromHttp.map((r) => [r.requestId, r]));
      for (const [id, n] of [["a", 5], ["b", 8]] as const) {
        const r = byId[id];
        expect(r.path).toBe("/v1/chat/completions");
        expect(r.status).toBe(200);
        expect(r.fault).toBe("");
        expect(r.outputTokens).toBe(n);
        // Chat: the role-only delta is token-bearing, so n + 1 chunk times.
        expect(r.chunkAtMs.length).toBe(n + 1);
        expect(r.firstTokenAtMs).toBe(r.chunkAtMs[0]);
        expect(r.startedAtMs!).toBeGreaterThanOrEqual(r.receivedAtMs);
        for (let k = 1; k < r.chunkAtMs.length; k++) expect(r.chunkAtMs[k]).toBeGreaterThanOrEqual(r.chunkAtMs[k - 1]);
        expect(r.doneAtMs!).toBeGreaterThanOrEqual(r.chunkAtMs.at(-1)! - 0.001);
        // Token k is due at start + ttft + k·itl and never goes out before that.
        expect(r.firstTokenAtMs! - r.startedAtMs!).toBeGreaterThanOrEqual(ttftMs - EARLY_MS);
        for (let k = 1; k < n; k++) expect(r.chunkAtMs[k + 1] - r.startedAtMs!).toBeGreaterThanOrEqual(ttftMs + k * itlMs - EARLY_MS);
      }
      expect(new Set(fromHttp.map((r) => r.index))).toEqual(new Set([0, 1]));

      const sum = (await (await fetch(`${s.url}/_truth/summary`)).json()) as TruthSummary;
      expect(sum.count).toBe(2);
      expect(sum.totalChunks).toBe(6 + 9);
      expect(sum.totalOutputTokens).toBe(13);
      expect(sum.meanTtftMs!).toBeGreaterThanOrEqual(ttftMs - EARLY_MS);
      expect(sum.meanInterChunkGapMs!).toBeGreaterThan(0);
      expect(sum.maxConcurrentStreams).toBeGreaterThanOrEqual(1);
      expect(sum.maxConcurrentStreams).toBeLessThanOrEqual(2);
      expect(sum.inFlight).toBe(0);
      expect(sum.requestsReceived).toBe(2);
      expect(sum.cpuUserMs).toBeGreaterThan(0);

      // DELETE clears the records but not the request index.
      expect(await (await fetch(`${s.url}/_truth`, { method: "DELETE" })).json()).toEqual({ cleared: 2 });
      expect(s.truth()).toEqual([]);
      await chat(s.url, 1, "c");
      expect(s.truth().map((r) => [r.index, r.requestId])).toEqual([[2, "c"]]);
      const paged = (await (await fetch(`${s.url}/_truth?offset=1&limit=5`)).json()) as TruthRecord[];
      expect(paged).toEqual([]);
    } finally {
      await s.stop();
    }
  });

  test("non-streaming: one chunk time, when the body is sent; errors have no chunks", async () => {
    const s = await startMockServer({ ttftMs: 2, itlMs: 1 });
    try {
      await (await post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 3 })).text();
      await (await post(`${s.url}/v1/completions`, { model: "nope", prompt: "x" })).text();
      const [ok, bad] = s.truth();
      expect(ok.chunkAtMs.length).toBe(1);
      expect(ok.outputTokens).toBe(3);
      expect(ok.firstTokenAtMs! - ok.startedAtMs!).toBeGreaterThanOrEqual(2 + 2 * 1 - EARLY_MS);
      expect(bad.status).toBe(404);
      expect(bad.chunkAtMs).toEqual([]);
      expect(bad.firstTokenAtMs).toBeNull();
      expect(bad.startedAtMs).toBeNull();
    } finally {
      await s.stop();
    }
  });
});

describe("maxConcurrency", () => {
  test("requests beyond the limit queue: never more than N generate at once", async () => {
    const s = await startMockServer({ ttftMs: 200, itlMs: 2, maxConcurrency: 3 });
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => chat(s.url, 5, `q${i}`)));
      const t = s.truth();
      expect(t.length).toBe(10);
      for (const r of t) expect(r.outputTokens).toBe(5);
      expect(maxOverlap(t)).toBeLessThanOrEqual(3);
      expect(s.summary().maxConcurrentStreams).toBe(maxOverlap(t));
      // At most 3 can start at once: the other 7 waited for a request to finish.
      const firstDone = Math.min(...t.map((r) => r.doneAtMs!));
      expect(t.filter((r) => r.startedAtMs! >= firstDone).length).toBeGreaterThanOrEqual(7);
    } finally {
      await s.stop();
    }
  });
});

describe("client going away", () => {
  test("a stream whose client disconnects frees its slot for the queued request", async () => {
    const s = await startMockServer({ ttftMs: 1, itlMs: 20, maxConcurrency: 1 });
    try {
      const long = await post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 10_000, stream: true }).then(async (r) => {
        const reader = r.body!.getReader();
        await reader.read();
        return reader;
      });
      // Queued behind the long stream; it can only finish if the disconnect releases the slot.
      const queued = post(`${s.url}/v1/completions`, { prompt: "x", max_tokens: 2 }).then((r) => r.json());
      await long.cancel();
      expect(((await queued) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(2);
      const [a, b] = s.truth();
      expect(a.outputTokens).toBeLessThan(10_000);
      expect(a.doneAtMs).not.toBeNull();
      expect(b.startedAtMs!).toBeGreaterThanOrEqual(a.doneAtMs!);
      expect(s.summary().inFlight).toBe(0);
    } finally {
      await s.stop();
    }
  });
});

describe("TruthStore", () => {
  test("grows past its initial size; writes through a handle from before clear() are dropped", () => {
    const t = new TruthStore();
    const handles: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const h = t.add(i, `r${i}`, "/generate_stream", i);
      t.start(h, i + 1, 3);
      t.chunk(h, i + 2, 1);
      t.chunk(h, i + 3, 1);
      handles.push(h);
    }
    expect(t.count).toBe(5000);
    const r = t.record(4999);
    expect(r).toMatchObject({ index: 4999, requestId: "r4999", startedAtMs: 5000, chunkAtMs: [5001, 5002], outputTokens: 2 });
    t.clear();
    const h = t.add(7000, "new", "/generate", 1);
    t.chunk(handles[0], 50, 1); // stale handle: same slot number as `h`
    t.start(h, 2, 1);
    t.chunk(h, 3, 4);
    expect(t.records()).toEqual([
      expect.objectContaining({ index: 7000, requestId: "new", chunkAtMs: [3], outputTokens: 4, path: "/generate" }),
    ]);
  });
});
