import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DRAIN_SLICE_MS, FLUSH_INTERVAL_MS, RecordLog, type DrainScheduler } from "../../src/results/record-log.ts";
import { sampleRecord as record } from "../helpers/records.ts";

const indexes = (path: string): number[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { index: number }).index);

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The drain's timer, its later turns and its clock, turned by the test: no real clock to race.
 * The clock moves `msPerRead` each time it is read, as if serialising a record took that long.
 */
class HandTurned implements DrainScheduler {
  readonly ticks: (() => void)[] = [];
  readonly intervals: number[] = [];
  readonly queued: (() => void)[] = [];
  stopped = 0;
  private at = 0;
  constructor(public msPerRead = 0.1) {}
  now(): number {
    return (this.at += this.msPerRead);
  }
  every(ms: number, tick: () => void): () => void {
    this.intervals.push(ms);
    this.ticks.push(tick);
    return () => void this.stopped++;
  }
  later(step: () => void): void {
    this.queued.push(step);
  }
  /** Run the steps queued so far (one turn of the event loop). */
  turn(): void {
    for (const step of this.queued.splice(0)) step();
  }
}

describe("RecordLog", () => {
  test("the timer drains in slices: records added mid-drain and a flush in between each land once, in order", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vbench-recordlog-")), "requests.jsonl");
    // 0.1 ms a record: a slice of DRAIN_SLICE_MS (0.25) writes three, stopping at the first read past it.
    const clock = new HandTurned(0.1);
    const perSlice = Math.ceil(DRAIN_SLICE_MS / 0.1);
    const log = new RecordLog(clock);
    await log.open(path);
    expect(clock.intervals).toEqual([FLUSH_INTERVAL_MS]);
    for (let i = 0; i < 1000; i++) log.add(record(i));
    // Nothing is serialised on the hot path: only the timer starts a drain.
    expect(log.written).toBe(0);
    clock.ticks[0]!();
    expect(log.written).toBe(perSlice);
    expect(clock.queued).toHaveLength(1);
    clock.turn();
    expect(log.written).toBe(2 * perSlice);
    // A timer tick during a drain does not start a second one beside it.
    clock.ticks[0]!();
    expect(log.written).toBe(2 * perSlice);
    expect(clock.queued).toHaveLength(1);
    // Records added mid-drain, then a flush (the Ctrl-C path) writes everything at once.
    for (let i = 1000; i < 1100; i++) log.add(record(i));
    await log.flush();
    expect(log.written).toBe(1100);
    expect(indexes(path)).toEqual(upTo(1100));
    // The slice still queued when flush() took over finds nothing left to write, and queues no more.
    clock.turn();
    expect(log.written).toBe(1100);
    expect(clock.queued).toHaveLength(0);
    log.add(record(1100));
    await log.close();
    expect(clock.stopped).toBe(1);
    expect(indexes(path)).toEqual(upTo(1101));
  });

  test("a slice is bounded by time, not by a count: a slow record is a slice of its own, quick ones share one", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vbench-recordlog-")), "requests.jsonl");
    const clock = new HandTurned(5);
    const log = new RecordLog(clock);
    await log.open(path);
    for (let i = 0; i < 100; i++) log.add(record(i));
    clock.ticks[0]!();
    expect(log.written).toBe(1);
    clock.turn();
    expect(log.written).toBe(2);
    // Records that cost 1 µs each: every one left goes out in the next turn (well under DRAIN_SLICE_MS).
    clock.msPerRead = 0.001;
    clock.turn();
    expect(log.written).toBe(100);
    expect(clock.queued).toHaveLength(0);
    await log.close();
    expect(indexes(path)).toEqual(upTo(100));
  });
});
