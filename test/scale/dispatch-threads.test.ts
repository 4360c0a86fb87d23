/**
 * Engine worker threads (src/engine/dispatch-threads.ts, src/engine/dispatcher.ts):
 * several worker threads claim releases from shared counters, each on its own
 * connections, against the simulator over 127.0.0.1. Correctness only (every
 * request exactly once, never early, records intact, the global concurrency
 * limit with slot waits, sessions, interruption, deadline, timeouts); the
 * timing gain is measured in bench/schedule.ts.
 */
import { describe, expect, test } from "bun:test";
import { singleLoopReason, startDispatchThreads, type ThreadedLoadOptions } from "../../src/engine/dispatch-threads.ts";
import { defaultWorkers, workerCount } from "../../src/engine/workers.ts";
import { parseOrigin } from "../../src/engine/http.ts";
import { prepareRequest } from "../../src/engine/prepare.ts";
import { arraySchedule, buildSchedule } from "../../src/engine/schedule.ts";
import openai from "../../plugins/backends/openai.ts";
import openaiChat from "../../plugins/backends/openai-chat.ts";
import { peakOverlap } from "../../src/results/sweeps.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import type { ResolvedScenario } from "../../src/base/scenario-types.ts";
import { sharedMock } from "../helpers/vbench.ts";
import { VbenchError } from "../../src/base/errors.ts";
import { parseFault } from "../../src/mock/faults.ts";

describe("choosing worker threads", () => {
  test("--workers / VBENCH_WORKERS: default the CPUs vbench may use, 0 to 64 accepted, anything else a configuration error", () => {
    expect(workerCount(undefined, {})).toBe(defaultWorkers());
    // One per usable CPU, at most 16; none with one CPU (a worker would only share it with the main thread).
    expect([defaultWorkers(1), defaultWorkers(2), defaultWorkers(8), defaultWorkers(64)]).toEqual([0, 2, 8, 16]);
    expect(workerCount("3", {})).toBe(3);
    expect(workerCount(undefined, { VBENCH_WORKERS: "0" })).toBe(0);
    expect(workerCount("4", { VBENCH_WORKERS: "2" })).toBe(4);
    // The older name: its 1 meant the main thread.
    expect(workerCount(undefined, { VBENCH_DISPATCH_THREADS: "1" })).toBe(0);
    expect(workerCount(undefined, { VBENCH_DISPATCH_THREADS: "4" })).toBe(4);
    for (const bad of ["65", "2.5", "two", "-1", " "]) {
      expect(() => workerCount(bad, {})).toThrow(VbenchError);
      expect(() => workerCount(undefined, { VBENCH_WORKERS: bad })).toThrow(VbenchError);
    }
  });

  test("every mode runs on worker threads unless --workers 0, or a backend with no file to load", () => {
    const builtIn = { name: "openai", builtIn: true, file: null };
    expect(singleLoopReason(2, builtIn)).toBeNull();
    expect(singleLoopReason(1, builtIn)).toBeNull();
    expect(singleLoopReason(0, builtIn)).toContain("--workers 0");
    expect(singleLoopReason(2, { name: "mine", builtIn: false, file: "/plugins/mine.ts" })).toBeNull();
    expect(singleLoopReason(2, { name: "mine", builtIn: false, file: null })).toContain("no file");
  });
});

describe("worker threads against the simulator", () => {
  const mock = sharedMock({ ttftMs: 2, itlMs: 1 });
  const hanging = sharedMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("hang@every:5")] });

  const scenario = { endpointPath: "/v1/completions", servedModel: "vbench-mock", sampling: {}, extraBody: {} } as unknown as ResolvedScenario;
  const start = (url: string, offsetsMs: Float64Array, extra: Partial<ThreadedLoadOptions> = {}) => {
    const origin = parseOrigin(url);
    const pool = [prepareRequest(origin, scenario, openai, { "Content-Type": "application/json" }, { prompt: "hello", inputTokens: 1, outputTokens: 2 } as never, true)];
    return startDispatchThreads({
      origin,
      backend: openai,
      requests: { kind: "list", list: pool },
      warmupRequests: pool,
      schedule: arraySchedule(offsetsMs),
      maxConcurrency: null,
      requestIdPrefix: "dt-",
      timeoutMs: extra.timeoutMs ?? 30_000,
      idleTimeoutMs: 30_000,
      deadlineMs: extra.deadlineMs,
      threads: extra.threads ?? 2,
      warmups: extra.warmups ?? 4,
      warmupPrefix: "dt-warmup-",
      backendFile: null,
      build: { scenario, headers: { "Content-Type": "application/json" }, ignoreEos: true },
      sessions: null,
      ...extra,
    });
  };

  test("every request is sent exactly once, never before its time, by more than one thread", async () => {
    const offsetsMs = buildSchedule({ count: 400, rateRps: 800, burstiness: 1, rampUp: null, seed: 11 });
    const threads = await start(mock.url, offsetsMs, { threads: 3 });
    expect(threads).not.toBeNull();
    const seen: RequestRecord[] = [];
    let dispatchCalls = 0;
    const load = await threads!.run({ onRecord: (r) => seen.push(r), onDispatch: () => dispatchCalls++ });
    expect(load.cancelled).toBe(false);
    expect(load.dispatched).toBe(400);
    expect(load.notDispatched).toBe(0);
    expect(dispatchCalls).toBe(400);
    expect(seen.length).toBe(400);
    expect(load.records.length).toBe(400);
    expect(load.dispatchedPerThread.reduce((a, b) => a + b, 0)).toBe(400);
    // Redundancy is the point: on a quiet schedule more than one thread takes releases.
    expect(load.dispatchedPerThread.filter((n) => n > 0).length).toBeGreaterThan(1);
    const byIndex = [...load.records].sort((a, b) => a.index - b.index);
    expect(byIndex.map((r) => r.index)).toEqual([...Array(400).keys()]);
    for (const r of byIndex) {
      expect(r.success).toBe(true);
      expect(r.requestId).toBe(`dt-${r.index}`);
      expect(r.scheduledAtMs).toBe(offsetsMs[r.index]!);
      expect(r.dispatchedAtMs).toBeGreaterThanOrEqual(r.scheduledAtMs);
      expect(r.sentAtMs).toBeGreaterThanOrEqual(r.dispatchedAtMs);
      expect(r.chunkAtMs.length).toBe(2);
      expect(r.chunkAtMs[0]!).toBeGreaterThan(r.sentAtMs);
      expect(r.doneAtMs).toBeLessThanOrEqual(load.endMs);
    }
    expect(load.firstDispatchMs).toBe(byIndex[0]!.dispatchedAtMs);
    expect(load.lastDispatchMs).toBe(Math.max(...byIndex.map((r) => r.dispatchedAtMs)));
    // The workers counted their read callbacks of the run: at least one per response.
    expect(load.readStalls.reads).toBeGreaterThanOrEqual(byIndex.length);
    expect(load.readStalls.over5Ms).toBeLessThanOrEqual(load.readStalls.over1Ms);
  });

  test("fewer requests than threads: the first and last dispatch are those of the thread that sent", async () => {
    const threads = await start(mock.url, new Float64Array([5]), { threads: 3, warmups: 3 });
    const load = await threads!.run({ onRecord: () => {} });
    expect(load.dispatched).toBe(1);
    expect(load.dispatchedPerThread.filter((n) => n > 0)).toEqual([1]);
    expect(load.firstDispatchMs).toBe(load.records[0]!.dispatchedAtMs);
    expect(load.lastDispatchMs).toBe(load.records[0]!.dispatchedAtMs);
  });

  test("a closed loop: one global max_concurrency across threads, FIFO, each wait recorded as slot wait", async () => {
    const threads = await start(mock.url, new Float64Array(60), { maxConcurrency: 4 });
    const load = await threads!.run({ onRecord: () => {} });
    expect(load.dispatched).toBe(60);
    const byIndex = [...load.records].sort((a, b) => a.index - b.index);
    expect(byIndex.map((r) => r.index)).toEqual([...Array(60).keys()]);
    expect(byIndex.every((r) => r.success)).toBe(true);
    // A slot is taken before a request is sent and freed after its record is made: at most 4 overlap.
    expect(peakOverlap(Float64Array.from(byIndex, (r) => r.sentAtMs), Float64Array.from(byIndex, (r) => r.doneAtMs))).toBeLessThanOrEqual(4);
    // The first four found a slot; the rest waited for one, in index order.
    expect(byIndex.slice(0, 4).every((r) => r.slotWaitMs === 0)).toBe(true);
    expect(byIndex.slice(4).every((r) => r.slotWaitMs! > 0 && r.slotWaitMs === r.dispatchedAtMs - r.scheduledAtMs)).toBe(true);
    // Each worker took its requests in index order (the shared counter hands out i before i + 1). Across
    // workers the stamps are not comparable to the microsecond: each thread reads its own clock, at the
    // start of its claim pass, so two neighbours claimed by different workers may carry swapped stamps.
    for (const worker of [0, 1]) {
      const mine = byIndex.filter((r) => r.worker === worker);
      expect([...mine].sort((a, b) => a.dispatchedAtMs - b.dispatchedAtMs).map((r) => r.index)).toEqual(mine.map((r) => r.index));
    }
    expect(new Set(byIndex.map((r) => r.worker))).toEqual(new Set([0, 1]));
  });

  test("multi-turn sessions: each worker builds its sessions' turns; a session holds its slot to its last turn", async () => {
    const chat = { ...scenario, endpointPath: "/v1/chat/completions" } as ResolvedScenario;
    const plan = Array.from({ length: 6 }, (_, s) => ({ turns: Array.from({ length: 3 }, (_, t) => ({ prompt: `s${s} t${t}`, inputTokens: 2, outputTokens: 2 })) }));
    const threads = await start(mock.url, Float64Array.from([0, 0, 0, 5, 10, 15]), {
      backend: openaiChat,
      maxConcurrency: 2,
      requestIdPrefix: "dt-s",
      build: { scenario: chat, headers: { "Content-Type": "application/json" }, ignoreEos: true },
      sessions: { plan, thinkTimeMs: 5 },
      warmups: 0,
    });
    let dispatchCalls = 0;
    const load = await threads!.run({ onRecord: () => {}, onDispatch: () => dispatchCalls++ });
    expect(load.cancelled).toBe(false);
    expect(load.dispatched).toBe(6);
    expect(load.notDispatched).toBe(0);
    expect(dispatchCalls).toBe(18);
    expect(load.records.length).toBe(18);
    expect(load.records.every((r) => r.success)).toBe(true);
    expect(load.records.map((r) => r.index).sort((a, b) => a - b)).toEqual([...Array(18).keys()]);
    for (const r of load.records) expect(r.requestId).toBe(`dt-s${r.session}-${r.turn}`);
    // Turns of a session go one after another, from one worker.
    for (let session = 0; session < 6; session++) {
      const turns = load.records.filter((r) => r.session === session).sort((a, b) => a.turn! - b.turn!);
      expect(turns.map((r) => r.turn)).toEqual([0, 1, 2]);
      expect(new Set(turns.map((r) => r.worker)).size).toBe(1);
      for (let t = 1; t < 3; t++) expect(turns[t]!.sentAtMs).toBeGreaterThan(turns[t - 1]!.doneAtMs);
    }
    // Sessions hold their slot across turns: at most 2 sessions are active at once.
    const spans = Array.from({ length: 6 }, (_, session) => load.records.filter((r) => r.session === session));
    expect(peakOverlap(Float64Array.from(spans, (t) => Math.min(...t.map((r) => r.sentAtMs))), Float64Array.from(spans, (t) => Math.max(...t.map((r) => r.doneAtMs))))).toBeLessThanOrEqual(2);
  });

  test("an interruption stops the claiming, cancels what is in flight and keeps what finished", async () => {
    const offsetsMs = buildSchedule({ count: 2000, rateRps: 500, burstiness: 1, rampUp: null, seed: 3 });
    const threads = await start(mock.url, offsetsMs);
    const abort = new AbortController();
    const seen: RequestRecord[] = [];
    const load = await threads!.run({
      signal: abort.signal,
      onRecord: (r) => {
        seen.push(r);
        if (seen.length === 100) abort.abort();
      },
    });
    expect(load.cancelled).toBe(true);
    expect(load.dispatched).toBeGreaterThanOrEqual(100);
    expect(load.dispatched).toBeLessThan(2000);
    expect(load.notDispatched).toBe(2000 - load.dispatched);
    // Every dispatched request has exactly one record: finished, or cancelled in flight.
    expect(load.records.length).toBe(load.dispatched);
    expect(new Set(load.records.map((r) => r.index)).size).toBe(load.dispatched);
    for (const r of load.records) if (!r.success) expect(r.error?.category).toBe("cancelled");
  });

  test("a deadline stops the claiming; requests already sent finish", async () => {
    const offsetsMs = buildSchedule({ count: 1000, rateRps: 1000, burstiness: 1, rampUp: null, seed: 5 });
    const threads = await start(mock.url, offsetsMs, { deadlineMs: 200 });
    const load = await threads!.run({ onRecord: () => {} });
    expect(load.cancelled).toBe(false);
    expect(load.dispatched).toBeGreaterThan(0);
    expect(load.dispatched).toBeLessThan(1000);
    expect(load.records.length).toBe(load.dispatched);
    expect(load.records.every((r) => r.success && r.dispatchedAtMs <= 200)).toBe(true);
  });

  test("timeouts are enforced inside the threads", async () => {
    const offsetsMs = buildSchedule({ count: 40, rateRps: 200, burstiness: 1, rampUp: null, seed: 9 });
    const threads = await start(hanging.url, offsetsMs, { timeoutMs: 300, warmups: 0 });
    const load = await threads!.run({ onRecord: () => {} });
    expect(load.records.length).toBe(40);
    const timedOut = load.records.filter((r) => r.error?.category === "timeout");
    // The simulator hangs every fifth request it receives.
    expect(timedOut.length).toBe(8);
    expect(load.records.filter((r) => r.success).length).toBe(32);
  });
});
