/**
 * The load engine (src/engine/engine.ts) on a fake clock: when units are
 * released, the FIFO slot queue and each unit's slot wait, timeouts, the
 * deadline, cancellation, waiting for request bytes, burst slices, and two
 * engines claiming from one set of counters (as worker threads do).
 */
import { describe, expect, test } from "bun:test";
import { Engine, BURST_SLICE, type EngineOptions, type EngineResult } from "../../src/engine/engine.ts";
import { engineCounters } from "../../src/engine/counters.ts";
import type { Exchange, Readiness, Units } from "../../src/engine/units.ts";
import { arraySchedule, atStart, type Schedule } from "../../src/engine/schedule.ts";
import { FakeClock, SPIN_STEP_MS } from "../helpers/fake-clock.ts";

interface Begun {
  i: number;
  atMs: number;
  slotWaitMs: number;
  engine: number;
}

/** Units that each hold their slot for durationMs(i) (null: until aborted), as a request in flight. */
class FakeUnits implements Units {
  active = 0;
  maxActive = 0;
  readonly aborted: { i: number; category: string; atMs: number }[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly clock: FakeClock,
    private readonly begun: Begun[],
    private readonly durationMs: (i: number) => number | null,
    private readonly shared: { active: number; maxActive: number } = { active: 0, maxActive: 0 },
    private readonly id = 0,
  ) {}

  begin(i: number, nowMs: number, slotWaitMs: number): void {
    this.begun.push({ i, atMs: nowMs, slotWaitMs, engine: this.id });
    this.shared.maxActive = Math.max(this.shared.maxActive, ++this.shared.active);
    let done = false;
    const finish = () => {
      done = true;
      this.shared.active--;
      this.engine.inFlight.delete(exchange);
      this.engine.endUnit();
    };
    const exchange: Exchange = {
      sentAtMs: nowMs,
      lastActivityMs: nowMs,
      abort: (category, _message, atMs) => {
        if (done) return;
        this.aborted.push({ i, category, atMs });
        finish();
      },
    };
    this.engine.inFlight.add(exchange);
    const d = this.durationMs(i);
    if (d !== null) this.clock.setTimeout(() => done || finish(), d);
  }
}

function setUp(schedule: Schedule, options: Partial<EngineOptions> & { maxConcurrency?: number | null; durationMs?: (i: number) => number | null } = {}) {
  const clock = new FakeClock();
  const engine = new Engine({ clock, schedule, t0: 0, counters: engineCounters(options.maxConcurrency ?? null), deadlineMs: null, timeoutMs: 60_000, idleTimeoutMs: 60_000, ...options });
  const begun: Begun[] = [];
  const units = new FakeUnits(engine, clock, begun, options.durationMs ?? (() => 1));
  const done = engine.run(units);
  return { clock, engine, units, begun, done };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The result if the engine has finished, else null. */
async function settled(done: Promise<EngineResult>): Promise<EngineResult | null> {
  return Promise.race([done, Promise.resolve(null)]);
}

describe("release", () => {
  test("unit i begins at t0 + at(i), not before, within one spin step, each once and in order", async () => {
    const offsets = [0, 5, 5, 12.3, 40, 40.004, 1000];
    const { clock, begun, done } = setUp(arraySchedule(Float64Array.from(offsets)));
    clock.advance(2000);
    const result = await settled(done);
    expect(result).toMatchObject({ dispatched: 7, cancelled: false });
    expect(begun.map((b) => b.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const b of begun) {
      expect(b.atMs).toBeGreaterThanOrEqual(offsets[b.i]!);
      expect(b.atMs - offsets[b.i]!).toBeLessThanOrEqual(SPIN_STEP_MS + 1e-9);
      expect(b.slotWaitMs).toBe(0);
    }
    expect(result!.firstDispatchMs).toBe(begun[0]!.atMs);
    expect(result!.lastDispatchMs).toBe(begun[6]!.atMs);
    expect(clock.pendingTimers).toBe(0);
  });

  test("with a wake source the engine waits for the wake, then spins to the release", async () => {
    const offsets = Float64Array.from([10, 20]);
    let onWake: ((last: number) => void) | null = null;
    let stopped = false;
    const clock0 = { start: (fn: (last: number) => void) => (onWake = fn), stop: () => (stopped = true) };
    const { clock, begun, done } = setUp(arraySchedule(offsets), { wake: clock0 });
    // Without a wake the safety timer (2 ms after the release) sends it.
    clock.advance(9.75);
    onWake!(0);
    clock.advance(10);
    expect(begun.map((b) => b.atMs - offsets[b.i]!).every((late) => late >= 0 && late <= SPIN_STEP_MS + 1e-9)).toBe(true);
    clock.advance(5);
    expect(begun.length).toBe(2);
    expect(begun[1]!.atMs).toBeCloseTo(22, 6);
    expect(await settled(done)).toMatchObject({ dispatched: 2 });
    expect(stopped).toBe(true);
  });

  test("units due at once are sent BURST_SLICE per turn of the event loop", async () => {
    const { clock, begun, done } = setUp(atStart(BURST_SLICE * 3 + 5));
    clock.advance(100);
    expect((await settled(done))?.dispatched).toBe(BURST_SLICE * 3 + 5);
    const turns = new Set(begun.map((b) => b.atMs));
    expect(turns.size).toBe(4);
  });
});

describe("the slot queue", () => {
  test("max_concurrency 2, all due at t0, each 10 ms: FIFO, slot waits of 0, 0, 10, 10, 20", async () => {
    const { clock, units, begun, done } = setUp(atStart(5), { maxConcurrency: 2, durationMs: () => 10 });
    clock.advance(100);
    expect((await settled(done))?.dispatched).toBe(5);
    expect(begun.map((b) => b.i)).toEqual([0, 1, 2, 3, 4]);
    // The first claim pass runs one spin step after the call; a freed slot is claimed one turn
    // (a spin step) after the unit ended, not inside its end.
    expect(begun.map((b) => round(b.atMs))).toEqual([0.01, 0.01, 10.02, 10.02, 20.03]);
    expect(begun.map((b) => round(b.slotWaitMs))).toEqual([0, 0, 10.02, 10.02, 20.03]);
    expect(units.aborted).toEqual([]);
  });

  test("a unit released while every slot is held waits from its release to the slot freeing", async () => {
    // One slot; unit 0 holds it 50 ms; units 1 (at 10) and 2 (at 30) queue behind it; unit 3 (at 200) finds it free.
    const offsets = Float64Array.from([0, 10, 30, 200]);
    const { clock, begun, done } = setUp(arraySchedule(offsets), { maxConcurrency: 1, durationMs: () => 50 });
    clock.advance(400);
    expect((await settled(done))?.dispatched).toBe(4);
    // Each freed slot is claimed one spin step after its unit ended.
    expect(begun.map((b) => round(b.atMs))).toEqual([0.01, 50.02, 100.03, 200.01]);
    expect(begun.map((b) => round(b.slotWaitMs))).toEqual([0, 40.02, 70.03, 0]);
  });

  test("two engines on one set of counters: each unit once, the global limit holds", async () => {
    const clock = new FakeClock();
    const counters = engineCounters(3);
    const schedule = arraySchedule(Float64Array.from({ length: 60 }, (_, i) => i * 0.5));
    const begun: Begun[] = [];
    const shared = { active: 0, maxActive: 0 };
    // Engine 0 lacks the bytes of every third unit (as a worker whose feed is behind, batches arriving every ms), so engine 1 claims those.
    const runs = [0, 1].map((id) => {
      const feed: Readiness = { has: (i) => id === 1 || i % 3 !== 0, onArrival: null };
      clock.setInterval(() => feed.onArrival?.(), 1);
      const engine = new Engine({ clock, schedule, t0: 0, counters, deadlineMs: null, timeoutMs: 60_000, idleTimeoutMs: 60_000, feed });
      return engine.run(new FakeUnits(engine, clock, begun, (i) => 3 + (i % 4), shared, id));
    });
    clock.advance(500);
    const results = await Promise.all(runs.map(settled));
    expect(begun.filter((b) => b.i % 3 === 0).every((b) => b.engine === 1)).toBe(true);
    expect(results.every((r) => r !== null)).toBe(true);
    expect(results[0]!.dispatched + results[1]!.dispatched).toBe(60);
    expect(begun.map((b) => b.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(shared.maxActive).toBe(3);
    expect(new Set(begun.map((b) => b.engine)).size).toBe(2);
    // FIFO across both: units begin in index order.
    expect(begun.map((b) => b.i)).toEqual([...begun.map((b) => b.i)].sort((a, b) => a - b));
  });

  test("a closed loop on two engines: each holds its share of the slots, so both send", async () => {
    const clock = new FakeClock();
    const counters = engineCounters(4);
    const begun: Begun[] = [];
    const shared = { active: 0, maxActive: 0 };
    const runs = [0, 1].map((id) => {
      const engine = new Engine({ clock, schedule: atStart(40), t0: 0, counters, deadlineMs: null, timeoutMs: 60_000, idleTimeoutMs: 60_000, maxActive: 2 });
      return engine.run(new FakeUnits(engine, clock, begun, (i) => 5 + (i % 3), shared, id));
    });
    clock.advance(1000);
    const results = await Promise.all(runs.map(settled));
    expect(results[0]!.dispatched + results[1]!.dispatched).toBe(40);
    expect(results.every((r) => r!.dispatched > 0)).toBe(true);
    expect(shared.maxActive).toBe(4);
    expect(begun.map((b) => b.i)).toEqual([...Array(40).keys()]);
    expect(begun.slice(4).every((b) => b.slotWaitMs > 0)).toBe(true);
  });
});

describe("an idle engine", () => {
  test("a closed loop at a rate on two engines, each capped at one slot: the idle one claims what the busy one cannot", async () => {
    const clock = new FakeClock();
    const counters = engineCounters(2);
    const schedule = arraySchedule(Float64Array.from({ length: 30 }, (_, i) => i));
    const begun: Begun[] = [];
    const shared = { active: 0, maxActive: 0 };
    const runs = [0, 1].map((id) => {
      const engine = new Engine({ clock, schedule, t0: 0, counters, deadlineMs: null, timeoutMs: 60_000, idleTimeoutMs: 60_000, maxActive: 1 });
      return engine.run(new FakeUnits(engine, clock, begun, () => 2.5, shared, id));
    });
    clock.advance(1000);
    const results = await Promise.all(runs.map(settled));
    expect(results.every((r) => r !== null && r.dispatched > 0)).toBe(true);
    expect(begun.map((b) => b.i)).toEqual([...Array(30).keys()]);
    expect(shared.maxActive).toBe(2);
    for (const b of begun) expect(b.atMs).toBeGreaterThanOrEqual(b.i);
  });

  test("the sweeper claims for an engine that has nothing arranged", async () => {
    // Bytes arrive with no arrival signal (a lost wake): the sweep, every idle/4 = 10 ms, claims the unit.
    let available = 0;
    const feed: Readiness = { has: (i) => i < available, onArrival: null };
    const { clock, begun, done } = setUp(atStart(1), { feed, idleTimeoutMs: 40 });
    clock.advance(5);
    available = 1;
    clock.advance(10);
    expect(begun.map((b) => b.atMs)).toEqual([10]);
    clock.advance(10);
    expect((await settled(done))?.dispatched).toBe(1);
  });
});

describe("timeouts, deadline, cancellation", () => {
  test("a unit past timeoutMs or idle past idleTimeoutMs is aborted by the sweeper", async () => {
    const { clock, units, done } = setUp(atStart(2), { timeoutMs: 100, idleTimeoutMs: 40, durationMs: () => null });
    clock.advance(200);
    expect(await settled(done)).toMatchObject({ dispatched: 2, cancelled: false });
    expect(units.aborted.map((a) => a.category)).toEqual(["timeout", "timeout"]);
    // The sweeper looks every min(250, idle/4) = 10 ms: the idle limit is caught within one look.
    for (const a of units.aborted) expect(a.atMs).toBeGreaterThan(40);
    for (const a of units.aborted) expect(a.atMs).toBeLessThanOrEqual(50);
  });

  test("nothing is claimed after the deadline; what is in flight finishes", async () => {
    const offsets = Float64Array.from([0, 10, 19, 30, 40]);
    const { clock, begun, done } = setUp(arraySchedule(offsets), { deadlineMs: 20, durationMs: () => 25 });
    clock.advance(100);
    const result = await settled(done);
    expect(result).toMatchObject({ dispatched: 3, cancelled: false });
    expect(begun.map((b) => b.i)).toEqual([0, 1, 2]);
  });

  test("cancel aborts what is in flight, claims nothing more and ends timers' units", async () => {
    const offsets = Float64Array.from([0, 5, 50, 60]);
    const { clock, engine, units, begun, done } = setUp(arraySchedule(offsets), { durationMs: () => 1000 });
    let thinkEnded = false;
    clock.advance(20);
    engine.later(500, () => {}, () => (thinkEnded = true));
    engine.cancel();
    const result = await settled(done);
    expect(result).toMatchObject({ dispatched: 2, cancelled: true });
    expect(units.aborted.map((a) => [a.i, a.category, a.atMs])).toEqual([
      [0, "cancelled", 20],
      [1, "cancelled", 20],
    ]);
    expect(thinkEnded).toBe(true);
    clock.advance(100);
    expect(begun.length).toBe(2);
  });

  test("cancelled before it runs: nothing is sent", async () => {
    const clock = new FakeClock();
    const engine = new Engine({ clock, schedule: atStart(3), t0: 0, counters: engineCounters(null), deadlineMs: null, timeoutMs: 1, idleTimeoutMs: 1 });
    engine.cancel();
    const begun: Begun[] = [];
    const result = await settled(engine.run(new FakeUnits(engine, clock, begun, () => 1)));
    expect(result).toMatchObject({ dispatched: 0, cancelled: true });
  });
});

describe("request bytes", () => {
  test("a due unit whose bytes have not arrived waits for them, then goes at once", async () => {
    let available = 1;
    const feed: Readiness = { has: (i) => i < available, onArrival: null };
    const { clock, begun, done } = setUp(arraySchedule(Float64Array.from([0, 1, 2])), { feed });
    clock.advance(30);
    expect(begun.map((b) => b.i)).toEqual([0]);
    available = 3;
    feed.onArrival!();
    expect(begun.map((b) => [b.i, b.atMs])).toEqual([
      [0, SPIN_STEP_MS],
      [1, 30],
      [2, 30],
    ]);
    clock.advance(10);
    expect((await settled(done))?.dispatched).toBe(3);
  });
});
