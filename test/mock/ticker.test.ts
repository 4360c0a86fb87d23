import { describe, expect, test } from "bun:test";
import { Ticker, type TickJob } from "../../src/mock/ticker.ts";

function job(name: string, log: string[], nextDues: number[] = []): TickJob {
  return {
    dueMs: 0,
    heapIndex: -1,
    run() {
      log.push(name);
      return nextDues.length > 0 ? nextDues.shift()! : NaN;
    },
  };
}

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 1));
};

describe("Ticker", () => {
  test("runs due jobs in due order, re-runs jobs that return a next due, skips cancelled ones", async () => {
    const log: string[] = [];
    const batches: number[] = [];
    const t = new Ticker((now) => batches.push(now));
    const base = performance.now() - 1000; // all due already
    const c = job("c", log);
    t.schedule(job("b", log, [base + 25]), base + 20);
    t.schedule(job("a", log), base + 10);
    t.schedule(c, base + 15);
    t.schedule(job("d", log), base + 30);
    t.cancel(c);
    expect(t.size).toBe(3);
    await until(() => t.size === 0);
    expect(log).toEqual(["a", "b", "b", "d"]);
    expect(batches.length).toBeGreaterThanOrEqual(1);
    t.stop();
  });

  test("a job due in the future does not run early (beyond the 0.5 ms tolerance)", async () => {
    const log: string[] = [];
    const t = new Ticker();
    const dueMs = performance.now() + 30;
    let ranAt = NaN;
    t.schedule({ dueMs: 0, heapIndex: -1, run: () => ((ranAt = performance.now()), log.push("x"), NaN) }, dueMs);
    await until(() => log.length === 1);
    expect(ranAt).toBeGreaterThanOrEqual(dueMs - 0.5);
    t.stop();
  });

  test("a large backlog runs in several batches (the event loop gets turns)", async () => {
    const log: string[] = [];
    let batches = 0;
    const t = new Ticker(() => batches++);
    const past = performance.now() - 1;
    for (let i = 0; i < 1000; i++) t.schedule(job(String(i), log), past);
    await until(() => log.length === 1000);
    expect(batches).toBeGreaterThanOrEqual(4); // at most 256 jobs per batch
    t.stop();
  });

  test("stop() drops everything", async () => {
    const log: string[] = [];
    const t = new Ticker();
    t.schedule(job("x", log), performance.now() + 5);
    t.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual([]);
    expect(t.size).toBe(0);
  });
});
