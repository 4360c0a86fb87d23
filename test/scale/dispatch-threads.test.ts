/**
 * Dispatch threads (src/engine/dispatch-threads.ts, src/engine/dispatcher.ts):
 * several worker threads claim releases from one counter, each on its own
 * connections, against the simulator over 127.0.0.1. Correctness only (every
 * request exactly once, never early, records intact, interruption, deadline,
 * timeouts); the timing gain is measured in bench/schedule.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dispatchThreadCount, singleLoopReason, startDispatchThreads } from "../../src/engine/dispatch-threads.ts";
import { parseOrigin } from "../../src/engine/http.ts";
import { prepareRequest } from "../../src/engine/prepare.ts";
import { arraySchedule, atStart, buildSchedule } from "../../src/engine/schedule.ts";
import openai from "../../plugins/backends/openai.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import type { ResolvedScenario } from "../../src/base/scenario-types.ts";
import { startMock } from "../helpers/vbench.ts";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { VbenchError } from "../../src/base/errors.ts";
import { parseFault } from "../../src/mock/faults.ts";

describe("choosing dispatch threads", () => {
  test("VBENCH_DISPATCH_THREADS: default 2, 1 to 16 accepted, anything else a configuration error", () => {
    expect(dispatchThreadCount({})).toBe(2);
    expect(dispatchThreadCount({ VBENCH_DISPATCH_THREADS: "1" })).toBe(1);
    expect(dispatchThreadCount({ VBENCH_DISPATCH_THREADS: "4" })).toBe(4);
    for (const bad of ["0", "17", "2.5", "two", "-1"]) {
      expect(() => dispatchThreadCount({ VBENCH_DISPATCH_THREADS: bad })).toThrow(VbenchError);
    }
  });

  test("only spread-out open-loop schedules with a built-in backend leave the main thread", () => {
    const spread = arraySchedule(Float64Array.from([0, 1, 2]));
    const base = { schedule: spread, maxConcurrency: null, backend: openai };
    expect(singleLoopReason(base, 2, true)).toBeNull();
    expect(singleLoopReason(base, 1, true)).toContain("VBENCH_DISPATCH_THREADS=1");
    expect(singleLoopReason({ ...base, schedule: atStart(5) }, 2, true)).toContain("inf");
    expect(singleLoopReason({ ...base, maxConcurrency: 4 }, 2, true)).toContain("max_concurrency");
    expect(singleLoopReason(base, 2, false)).toContain("loaded from disk");
  });
});

describe("dispatch threads against the simulator", () => {
  let mock: SpawnedMock;
  let hanging: SpawnedMock;
  beforeAll(async () => {
    [mock, hanging] = await Promise.all([startMock({ ttftMs: 2, itlMs: 1 }), startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("hang@every:5")] })]);
  });
  afterAll(async () => {
    await Promise.all([mock.stop(), hanging.stop()]);
  });

  const scenario = { endpointPath: "/v1/completions", servedModel: "vbench-mock", sampling: {}, extraBody: {} } as unknown as ResolvedScenario;
  const start = (url: string, offsetsMs: Float64Array, extra: { deadlineMs?: number; timeoutMs?: number; threads?: number; warmups?: number } = {}) => {
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
