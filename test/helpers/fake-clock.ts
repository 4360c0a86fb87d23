/**
 * A fake Clock (src/engine/clock.ts) for the engine's tests: time moves only
 * when the test advances it, and timers fire in time order (ties in the
 * order they were set). An immediate is a timer SPIN_STEP_MS ahead, so a
 * yield-spin moves time forward as a real one would.
 */
import type { Clock, TimerHandle } from "../../src/engine/clock.ts";

export const SPIN_STEP_MS = 0.01;

interface Timer {
  atMs: number;
  seq: number;
  fn: () => void;
  everyMs: number | null;
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(0, ms), null);
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, ms);
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  setImmediate(fn: () => void): void {
    this.add(fn, SPIN_STEP_MS, null);
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    const endMs = this.t + ms;
    for (;;) {
      let next: Timer | null = null;
      let id = 0;
      for (const [k, timer] of this.timers) {
        if (timer.atMs > endMs) continue;
        if (!next || timer.atMs < next.atMs || (timer.atMs === next.atMs && timer.seq < next.seq)) [next, id] = [timer, k];
      }
      if (!next) break;
      this.t = Math.max(this.t, next.atMs);
      if (next.everyMs === null) this.timers.delete(id);
      else next.atMs += next.everyMs;
      next.fn();
    }
    this.t = endMs;
  }

  /** Timers still set (a finished engine leaves none). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  private add(fn: () => void, ms: number, everyMs: number | null): number {
    const id = ++this.seq;
    this.timers.set(id, { atMs: this.t + ms, seq: id, fn, everyMs });
    return id;
  }
}
