/**
 * The release clock (a worker that wakes the dispatcher) and the load
 * generator driven by it: ordering and "never early", no wall-clock bounds.
 */
import { describe, expect, test } from "bun:test";
import { BACKUP_MS, BACKUP_RIDE_MS, createReleaseClock, nextClockWake } from "../../src/engine/release-clock.ts";
import { runLoad } from "../../src/engine/loadgen.ts";
import { HttpClient, parseOrigin } from "../../src/engine/http.ts";
import { prepareRequest } from "../../src/engine/prepare.ts";
import { arraySchedule, buildSchedule, openSchedule } from "../../src/engine/schedule.ts";
import { listFeed } from "../../src/engine/request-feed.ts";
import openai from "../../plugins/backends/openai.ts";
import type { ResolvedScenario } from "../../src/base/scenario-types.ts";
import { sharedMock } from "../helpers/vbench.ts";

describe("release clock", () => {
  test("wakes for every release in order, coalescing releases due together", async () => {
    const clock = await createReleaseClock();
    expect(clock).not.toBeNull();
    // Two groups of releases due at the same instant, then single ones (50 ms in: the thread has started by then).
    const offsets = Float64Array.from([55, 55, 55, 60, 62, 62, 70]);
    const wakes: number[] = [];
    await new Promise<void>((resolve) => {
      clock!.start({ type: "array", offsetsMs: offsets }, performance.now(), (last) => {
        wakes.push(last);
        if (last === offsets.length - 1) resolve();
      });
    });
    clock!.stop();
    expect(wakes.at(-1)).toBe(6);
    for (let i = 1; i < wakes.length; i++) expect(wakes[i]!).toBeGreaterThan(wakes[i - 1]!);
    // Releases due together never cost more than one wake each.
    expect(wakes.length).toBeLessThanOrEqual(5);
    expect(wakes).toContain(2);
  });

  test("startPorts announces every release on every port", async () => {
    const clock = await createReleaseClock();
    const offsets = Float64Array.from([3, 6, 6, 9, 15]);
    const channels = [new MessageChannel(), new MessageChannel()];
    const heard: number[][] = [[], []];
    const bothDone = Promise.all(
      channels.map(
        (channel, k) =>
          new Promise<void>((resolve) => {
            channel.port2.onmessage = (event: { data: unknown }) => {
              heard[k]!.push(event.data as number);
              if (event.data === offsets.length - 1) resolve();
            };
          }),
      ),
    );
    clock!.startPorts({ type: "array", offsetsMs: offsets }, performance.timeOrigin + performance.now(), channels.map((c) => c.port1));
    await bothDone;
    clock!.stop();
    for (const channel of channels) channel.port2.close();
    expect(heard[0]).toEqual(heard[1]!);
    expect(heard[0]!.at(-1)).toBe(4);
    for (let i = 1; i < heard[0]!.length; i++) expect(heard[0]![i]!).toBeGreaterThan(heard[0]![i - 1]!);
  });

  test("startPorts with a stride walks only that share, posting each release's index in the whole schedule", async () => {
    const clock = await createReleaseClock();
    const offsets = Float64Array.from([3, 6, 9, 12, 15, 18, 21]);
    const channel = new MessageChannel();
    const heard: number[] = [];
    const done = new Promise<void>((resolve) => {
      channel.port2.onmessage = (event: { data: unknown }) => {
        heard.push(event.data as number);
        if (event.data === 5) resolve();
      };
    });
    const counters = new SharedArrayBuffer(20);
    clock!.startPorts({ type: "array", offsetsMs: offsets }, performance.timeOrigin + performance.now(), [channel.port1], { first: 1, step: 2, backupPorts: [], counters });
    await done;
    clock!.stop();
    channel.port2.close();
    // Releases 1, 3, 5 (a late thread may hear two of them coalesced into the later one), never 0, 2, 4, 6.
    expect(heard.length).toBeGreaterThan(0);
    for (const index of heard) expect(index % 2).toBe(1);
    expect(heard.at(-1)).toBe(5);
  });

  test("a share's release still unclaimed BACKUP_MS after it fell due, not for want of a slot, is announced to the backup ports", async () => {
    const offsets = Float64Array.from([3, 6, 9, 12, 15, 18, 21]);
    /** Backup wakes heard with the engine counters set as given (Next: first unclaimed; Blocked: waiting for a slot below it). */
    const backups = async (next: number, blocked: number) => {
      const clock = await createReleaseClock();
      const own = new MessageChannel();
      const backup = new MessageChannel();
      const counters = new SharedArrayBuffer(20);
      new Int32Array(counters).set([next, 0, 0, blocked]);
      const heard: number[] = [];
      backup.port2.onmessage = (event: { data: unknown }) => void heard.push(event.data as number);
      const lastOwn = new Promise<void>((resolve) => (own.port2.onmessage = (event: { data: unknown }) => event.data === 5 && resolve()));
      clock!.startPorts({ type: "array", offsetsMs: offsets }, performance.timeOrigin + performance.now(), [own.port1], { first: 1, step: 2, backupPorts: [backup.port1], counters });
      await lastOwn;
      await Bun.sleep(50); // well past release 5's check
      clock!.stop();
      own.port2.close();
      backup.port2.close();
      return heard;
    };
    const unclaimed = await backups(0, 0);
    expect(unclaimed.length).toBeGreaterThan(0);
    for (const index of unclaimed) expect(index % 2).toBe(1);
    expect(unclaimed.at(-1)).toBe(5);
    expect(await backups(100, 0)).toEqual([]); // all claimed
    expect(await backups(0, 100)).toEqual([]); // all waiting for a slot
  });

  test("a backup check due shortly before the next release's wake rides on that wake; one due earlier, or with no release after it, wakes the clock itself", () => {
    const release = 10;
    expect(nextClockWake(release, release - BACKUP_RIDE_MS)).toBe(release);
    expect(nextClockWake(release, release - 0.01)).toBe(release);
    expect(nextClockWake(release, release - BACKUP_RIDE_MS - 0.01)).toBe(release - BACKUP_RIDE_MS - 0.01);
    expect(nextClockWake(release, Infinity)).toBe(release);
    expect(nextClockWake(release, release + 1)).toBe(release);
    expect(nextClockWake(Infinity, 5)).toBe(5);
  });

  test("with releases closer than BACKUP_MS + BACKUP_RIDE_MS, every unclaimed release of the share still reaches the backup ports", async () => {
    // The share (odd indices) gets a release every 0.3 ms: each check rides on the next release's wake.
    const spacing = 0.15;
    expect(2 * spacing).toBeLessThan(BACKUP_MS + BACKUP_RIDE_MS);
    const offsets = Float64Array.from({ length: 201 }, (_, k) => 5 + k * spacing);
    const clock = await createReleaseClock();
    const own = new MessageChannel();
    const backup = new MessageChannel();
    const counters = new SharedArrayBuffer(20); // Next 0, Blocked 0: nothing is ever claimed
    const heard = new Set<number>();
    backup.port2.onmessage = (event: { data: unknown }) => void heard.add(event.data as number);
    own.port2.onmessage = () => {};
    clock!.startPorts({ type: "array", offsetsMs: offsets }, performance.timeOrigin + performance.now(), [own.port1], { first: 1, step: 2, backupPorts: [backup.port1], counters });
    await Bun.sleep(120);
    clock!.stop();
    own.port2.close();
    backup.port2.close();
    // Checks due together are coalesced into one message naming the latest, so the last one is always heard.
    expect(heard.has(199)).toBe(true);
    for (const index of heard) expect(index % 2).toBe(1);
  });

  test("walks a generated rate schedule of a billion releases without an array, in order", async () => {
    const clock = await createReleaseClock();
    const spec = { type: "rate" as const, count: 1_000_000_000, rateRps: 20_000, burstiness: 1, rampUp: null, seed: 3, factor: 1 };
    const wakes: number[] = [];
    await new Promise<void>((resolve) => {
      clock!.start(spec, performance.now(), (last) => {
        wakes.push(last);
        if (last >= 5000) resolve();
      });
    });
    clock!.stop();
    for (let i = 1; i < wakes.length; i++) expect(wakes[i]!).toBeGreaterThan(wakes[i - 1]!);
    // The same offsets as generated here: the wake for `last` came no earlier than EARLY_MS before it was due.
    const here = openSchedule(spec);
    expect(here.at(5000)).toBeGreaterThan(here.at(4999));
  });

  test("stop() ends the wakes", async () => {
    const clock = await createReleaseClock();
    let calls = 0;
    clock!.start({ type: "array", offsetsMs: Float64Array.from([30, 60, 90]) }, performance.now(), () => calls++);
    clock!.stop();
    clock!.stop(); // idempotent
    await Bun.sleep(120);
    expect(calls).toBe(0);
  });
});

describe("runLoad on a spread-out schedule", () => {
  const mock = sharedMock({ ttftMs: 2, itlMs: 1 });

  test("dispatches every request in schedule order and never before its time", async () => {
    const origin = parseOrigin(mock.url);
    const scenario = { endpointPath: "/v1/completions", servedModel: "vbench-mock", sampling: {}, extraBody: {} } as unknown as ResolvedScenario;
    const pool = [prepareRequest(origin, scenario, openai, { "Content-Type": "application/json" }, { prompt: "hello", inputTokens: 1, outputTokens: 2 } as never, true)];
    const client = new HttpClient();
    try {
      const offsetsMs = buildSchedule({ count: 200, rateRps: 400, burstiness: 1, rampUp: null, seed: 7 });
      const load = await runLoad({ client, origin, backend: openai, requests: listFeed(pool), schedule: arraySchedule(offsetsMs), maxConcurrency: null, requestIdPrefix: "clock-", timeoutMs: 30_000, idleTimeoutMs: 30_000, onRecord: () => {} });
      expect(load.dispatched).toBe(200);
      expect(load.records.every((r) => r.success)).toBe(true);
      const byIndex = [...load.records].sort((a, b) => a.index - b.index);
      for (let i = 0; i < byIndex.length; i++) {
        const r = byIndex[i]!;
        expect(r.scheduledAtMs).toBe(offsetsMs[i]!);
        // The clock wakes the thread early; the dispatcher itself must wait for the scheduled time.
        expect(r.dispatchedAtMs).toBeGreaterThanOrEqual(r.scheduledAtMs);
        if (i > 0) expect(r.dispatchedAtMs).toBeGreaterThanOrEqual(byIndex[i - 1]!.dispatchedAtMs);
      }
    } finally {
      client.closeAll();
    }
  });
});
