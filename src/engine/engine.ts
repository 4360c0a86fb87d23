/**
 * The load engine: the one release / slot / sweep / cancel core that every
 * load runs on (the measured run's closed loop, open-loop rates, ramp-ups and
 * sessions; the initial test request and warm-ups; each step of `search` and
 * `calibrate`), in the main thread or in each worker thread (./dispatcher.ts).
 *
 * A load is `count` units released on a schedule: unit i is due at
 * t0 + schedule.at(i) (absolute time, never relative sleeps; STYLE rule 2).
 * A unit is one request (./request-units.ts) or one multi-turn session
 * (./session-units.ts) and holds a `max_concurrency` slot from its start to
 * its end. Units are claimed in index order from counters in an Int32Array:
 * one thread's own, or a SharedArrayBuffer every worker claims from, so one
 * global schedule and one global concurrency limit hold exactly across
 * threads (unit i is claimed once; at most max_concurrency units hold a
 * slot). A due unit that finds no free slot waits in index order (a FIFO
 * queue, as vLLM's semaphore) and records how long as its slot wait.
 *
 * The clock is injected (./clock.ts; tests use a fake one). Hot path: no
 * allocation or await per claim; one sweeper checks every timeout.
 */
import type { Clock, TimerHandle } from "./clock.ts";
import { EARLY_MS } from "./release-clock.ts";
import { releasedBy, type Schedule } from "./schedule.ts";
import { Counter, UNLIMITED } from "./counters.ts";
import { sweepIntervalMs, sweepTimeouts, type Exchange, type Readiness, type Units, type WakeSource } from "./units.ts";

/**
 * Units sent per turn of the event loop when many are due at once (rate inf, a late engine
 * catching up): sending 4096 requests takes ~150 ms of syscalls, and responses arriving meanwhile
 * would wait unread (+192 ms mean TTFT at 4096 streams; docs/performance.md). Each send time is
 * stamped as it goes, so the later ones' lateness shows as dispatch lag, not as latency.
 * Between two turns the runtime runs every read that is ready (checked: an immediate queued by an
 * immediate runs after the poll's reads), so a slice bounds how long a read waits behind sends:
 * 8 sends are ~130 µs (16 µs each in the first wave, traced); 64 were ~1 ms. The turns in between
 * cost a poll each, a few µs.
 */
export const BURST_SLICE = 8;
/** Without a wake source: wake with a timer this early, then yield-spin to the exact time. */
const SPIN_WINDOW_MS = 1.5;

export interface EngineOptions {
  clock: Clock;
  schedule: Schedule;
  /** The schedule origin on clock.now(). */
  t0: number;
  counters: Int32Array;
  /** Nothing is claimed after t0 + deadlineMs (time-bound runs); null: no deadline. */
  deadlineMs: number | null;
  timeoutMs: number;
  idleTimeoutMs: number;
  feed?: Readiness;
  wake?: WakeSource | null;
  /** Called as each unit is claimed (live metrics). Must be cheap. */
  onDispatch?: () => void;
  /** With max_concurrency: slots this engine holds at most (its share among worker threads, so a closed loop uses them all). */
  maxActive?: number;
}

export interface EngineResult {
  /** Units this engine claimed. */
  dispatched: number;
  firstDispatchMs: number;
  lastDispatchMs: number;
  cancelled: boolean;
}

export class Engine {
  /** Requests in flight: the units add and delete theirs; the sweeper and cancel() abort them. */
  readonly inFlight = new Set<Exchange>();
  private units: Units | null = null;
  private readonly limited: boolean;
  /** Units begun here and not ended. */
  private active = 0;
  private dispatched = 0;
  private firstDispatchMs = NaN;
  private lastDispatchMs = NaN;
  /** The run was cancelled (read by units: they end rather than send more). */
  cancelled = false;
  private started = false;
  private finished = false;
  private timer: TimerHandle | null = null;
  private sweeper: TimerHandle | null = null;
  private tickQueued = false;
  /** The last claim pass stopped at a due unit with no free slot / with no bytes yet / at this engine's share of slots. */
  private blocked = false;
  private waitingForBytes = false;
  private capped = false;
  /** The highest unit a wake has announced: it is due within EARLY_MS, so the engine spins for it. */
  private wokenThrough = -1;
  /** Timers of units (think times) and what ends their unit if the run is cancelled first. */
  private readonly pending = new Map<TimerHandle, () => void>();
  private resolve: (result: EngineResult) => void = () => {};

  private readonly maxActive: number;

  constructor(private readonly options: EngineOptions) {
    this.limited = options.counters[Counter.Free] !== UNLIMITED;
    this.maxActive = this.limited ? (options.maxActive ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
  }

  /** ms since t0 on the engine's clock. */
  nowMs(): number {
    return this.options.clock.now() - this.options.t0;
  }

  /** Run until every unit is claimed (or claiming stopped) and every claimed unit here has ended. */
  run(units: Units): Promise<EngineResult> {
    this.units = units;
    const { clock, feed, wake } = this.options;
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.started = true;
      this.sweeper = clock.setInterval(this.sweep, sweepIntervalMs(this.options.idleTimeoutMs));
      if (feed) feed.onArrival = this.onArrival;
      wake?.start(this.onWake);
      this.arrange();
    });
  }

  /** Stop claiming and fail every request in flight ("cancelled"); units waiting on a timer end. */
  cancel(): void {
    if (this.finished) return;
    this.cancelled = true;
    Atomics.store(this.options.counters, Counter.Stop, 1);
    const nowMs = this.nowMs();
    for (const x of [...this.inFlight]) x.abort("cancelled", "run interrupted", nowMs);
    const pending = [...this.pending];
    this.pending.clear();
    for (const [handle, onCancel] of pending) {
      this.options.clock.clearTimeout(handle);
      onCancel();
    }
    this.finishIfDone();
  }

  /** Another thread may have ended the claiming: finish if nothing is left here. */
  poke(): void {
    this.finishIfDone();
  }

  /**
   * A unit ended: its slot is free for the longest-waiting due unit, claimed on the next turn of
   * the event loop rather than inside the read that ended the unit. The runtime runs every socket
   * callback of one poll before an immediate, so the reads that came with this one are stamped
   * first and the sends wait (each send is stamped as it goes: the wait shows as slot wait, not
   * as latency). When a closed loop's streams end together, 1024 refills of ~25 µs each done
   * inside their reads held every other read of the wave behind them.
   */
  endUnit(): void {
    this.active--;
    if (this.limited) {
      Atomics.add(this.options.counters, Counter.Free, 1);
      if (!this.finished && this.started && !this.tickQueued) this.queueTick();
    }
    this.finishIfDone();
  }

  /** Run `fn` in `ms` (a unit's think time); if the run is cancelled first, `onCancel` runs instead. */
  later(ms: number, fn: () => void, onCancel: () => void): void {
    const handle = this.options.clock.setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, ms);
    this.pending.set(handle, onCancel);
  }

  private readonly tick = (): void => {
    this.tickQueued = false;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.finished) return;
    if (this.claimDue() === BURST_SLICE) return this.queueTick();
    this.arrange();
  };

  /** Claim and begin every due unit that has a slot and its bytes, oldest first, at most BURST_SLICE; returns how many. */
  private claimDue(): number {
    const { counters, schedule, feed, deadlineMs } = this.options;
    const nowMs = this.nowMs();
    this.blocked = false;
    this.waitingForBytes = false;
    this.capped = false;
    let sent = 0;
    while (sent < BURST_SLICE && Atomics.load(counters, Counter.Stop) === 0) {
      const i = Atomics.load(counters, Counter.Next);
      if (i >= schedule.count || schedule.at(i) > nowMs) break;
      if (deadlineMs !== null && nowMs > deadlineMs) {
        Atomics.store(counters, Counter.Stop, 1);
        break;
      }
      if (feed && !feed.has(i)) {
        this.waitingForBytes = true;
        break;
      }
      const free = Atomics.load(counters, Counter.Free);
      if (free <= 0) {
        this.markBlocked(i, nowMs);
        break;
      }
      // Another worker has slots to spare: it claims this unit (or this engine does when one of its own ends).
      if (this.active >= this.maxActive) {
        this.capped = true;
        break;
      }
      if (this.limited && Atomics.compareExchange(counters, Counter.Free, free, free - 1) !== free) continue;
      // Another thread took i meanwhile: give the slot back and look again.
      if (Atomics.compareExchange(counters, Counter.Next, i, i + 1) !== i) {
        if (this.limited) Atomics.add(counters, Counter.Free, 1);
        continue;
      }
      this.begin(i, nowMs);
      sent++;
    }
    return sent;
  }

  /** Every unit due by now from i on found no free slot. */
  private markBlocked(i: number, nowMs: number): void {
    const { counters, schedule } = this.options;
    this.blocked = true;
    for (;;) {
      const through = Atomics.load(counters, Counter.Blocked);
      const due = releasedBy(schedule, nowMs, Math.max(i, through));
      if (due <= through || Atomics.compareExchange(counters, Counter.Blocked, through, due) === through) return;
    }
  }

  private begin(i: number, nowMs: number): void {
    const { schedule } = this.options;
    this.dispatched++;
    this.active++;
    this.options.onDispatch?.();
    if (this.dispatched === 1) this.firstDispatchMs = nowMs;
    this.lastDispatchMs = nowMs;
    // Units below the one claimed are never looked up again (a generated schedule drops its chunks).
    if ((i & 1023) === 0) schedule.forgetBelow(i);
    const waited = i < Atomics.load(this.options.counters, Counter.Blocked) ? nowMs - schedule.at(i) : 0;
    this.units!.begin(i, nowMs, waited);
  }

  /** After a claim pass: arrange the next one (a timer, a wake, a spin), or finish. */
  private arrange(): void {
    if (this.tickQueued || this.timer !== null || this.finished) return;
    const { counters, schedule, clock } = this.options;
    let next = Atomics.load(counters, Counter.Next);
    if (next >= schedule.count || Atomics.load(counters, Counter.Stop) !== 0) return this.finishIfDone();
    // Bytes arriving tick again; a slot freeing claims, and releases behind the queue are only marked as they fall due.
    if (this.waitingForBytes) return;
    if (this.blocked) next = Atomics.load(counters, Counter.Blocked);
    else if (this.capped) next = releasedBy(schedule, this.nowMs(), next);
    if (next >= schedule.count) return;
    if (next <= this.wokenThrough) return this.queueTick();
    const waitMs = schedule.at(next) - this.nowMs();
    if (this.options.wake) {
      // The wake comes EARLY_MS before the release; a timer 2 ms after it is the safety net should none come.
      if (waitMs <= EARLY_MS) this.queueTick();
      else this.timer = clock.setTimeout(this.tick, waitMs + 2);
    } else if (waitMs > SPIN_WINDOW_MS) this.timer = clock.setTimeout(this.tick, waitMs - SPIN_WINDOW_MS + 0.5);
    else this.queueTick();
  }

  private queueTick(): void {
    this.tickQueued = true;
    this.options.clock.setImmediate(this.tick);
  }

  private readonly onWake = (last: number): void => {
    if (this.finished) return;
    // A release already claimed (here, or by another thread that found it due) needs nothing.
    if (last < Atomics.load(this.options.counters, Counter.Next)) return this.finishIfDone();
    if (last > this.wokenThrough) this.wokenThrough = last;
    if (!this.tickQueued) this.tick();
  };

  private readonly onArrival = (): void => {
    if (this.waitingForBytes && !this.tickQueued && !this.finished) this.tick();
  };

  private readonly sweep = (): void => {
    const { counters, deadlineMs } = this.options;
    const nowMs = this.nowMs();
    if (deadlineMs !== null && nowMs > deadlineMs) Atomics.store(counters, Counter.Stop, 1);
    sweepTimeouts(this.inFlight, nowMs, this.options.timeoutMs, this.options.idleTimeoutMs);
    // A safety net for an idle engine (waiting on a slot or on bytes): due units are claimed at least this often.
    if (this.timer === null && !this.tickQueued && !this.finished) this.tick();
    this.finishIfDone();
  };

  private finishIfDone(): void {
    if (this.finished || !this.started || this.active > 0) return;
    const { counters, schedule, clock } = this.options;
    if (Atomics.load(counters, Counter.Stop) === 0 && Atomics.load(counters, Counter.Next) < schedule.count) return;
    this.finished = true;
    if (this.timer !== null) clock.clearTimeout(this.timer);
    clock.clearInterval(this.sweeper);
    this.options.wake?.stop();
    if (this.options.feed) this.options.feed.onArrival = null;
    this.resolve({ dispatched: this.dispatched, firstDispatchMs: this.firstDispatchMs, lastDispatchMs: this.lastDispatchMs, cancelled: this.cancelled });
  }
}
