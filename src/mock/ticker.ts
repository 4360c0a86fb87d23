/**
 * One central timer for every stream: a min-heap of jobs by due time and a
 * single setTimeout armed for the earliest. Each wake runs the jobs due within
 * TOLERANCE_MS, so thousands of streams cost one timer, not one per token.
 * Due times are absolute: a late wake writes late but never shifts a stream's
 * later tokens (no drift).
 *
 * Bun hands bytes written in a callback to the kernel only after the callback
 * returns, so a wake runs at most MAX_BATCH jobs and then yields
 * (setImmediate) to let them leave; `afterBatch` gets the time the batch ended,
 * which is when its bytes were released.
 */

export interface TickJob {
  /** Absolute due time on performance.now(), ms. */
  dueMs: number;
  /** Position in the heap, -1 when not queued (owned by the Ticker). */
  heapIndex: number;
  /** Do what is due at `nowMs`; return the next due time, or NaN when finished. Must not reschedule itself. */
  run(nowMs: number): number;
}

/** Jobs due this close to now run in the current wake instead of a sub-ms timer. */
const TOLERANCE_MS = 0.5;
/** Jobs run per wake before yielding to the event loop (bounds how long written bytes wait to be sent). */
const MAX_BATCH = 256;

export class Ticker {
  private heap: TickJob[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private armedForMs = Infinity;
  private running = false;
  private stopped = false;
  /** Wakes so far (the /_truth summary's tickerWakes: what pacing the tokens cost). */
  wakes = 0;

  constructor(private readonly afterBatch: (nowMs: number) => void = () => {}) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(job: TickJob, dueMs: number): void {
    if (this.stopped) return;
    this.insert(job, dueMs);
    if (!this.running) this.arm();
  }

  private insert(job: TickJob, dueMs: number): void {
    job.dueMs = dueMs;
    job.heapIndex = this.heap.length;
    this.heap.push(job);
    this.up(job.heapIndex);
  }

  /** Remove a job that will not run again (client went away). */
  cancel(job: TickJob): void {
    const i = job.heapIndex;
    if (i < 0) return;
    const last = this.heap.pop()!;
    job.heapIndex = -1;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    for (const j of this.heap) j.heapIndex = -1;
    this.heap = [];
  }

  private arm(): void {
    if (this.heap.length === 0 || this.immediate !== undefined) return;
    const due = this.heap[0].dueMs;
    const delayMs = due - performance.now();
    if (this.timer !== undefined) {
      if (due >= this.armedForMs - TOLERANCE_MS) return;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.armedForMs = due;
    if (delayMs <= TOLERANCE_MS) this.immediate = setImmediate(this.tick);
    else this.timer = setTimeout(this.tick, Math.round(delayMs));
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.armedForMs = Infinity;
    this.running = true;
    this.wakes++;
    const heap = this.heap;
    // Only what is due at the start of the wake: a stream that is behind catches up chunk by chunk,
    // but work that becomes due while this batch runs waits for the next wake.
    const limitMs = performance.now() + TOLERANCE_MS;
    for (let n = 0; n < MAX_BATCH && heap.length > 0 && heap[0].dueMs <= limitMs; n++) {
      // Take the job out before running it: run() may schedule other jobs (a queued request getting its slot).
      const job = heap[0];
      this.cancel(job);
      const next = job.run(limitMs);
      if (!Number.isNaN(next) && job.heapIndex < 0) this.insert(job, next);
    }
    this.afterBatch(performance.now());
    this.running = false;
    if (!this.stopped) this.arm();
  };

  private up(i: number): void {
    const heap = this.heap;
    const job = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p].dueMs <= job.dueMs) break;
      heap[i] = heap[p];
      heap[i].heapIndex = i;
      i = p;
    }
    heap[i] = job;
    job.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const job = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r].dueMs < heap[l].dueMs ? r : l;
      if (heap[c].dueMs >= job.dueMs) break;
      heap[i] = heap[c];
      heap[i].heapIndex = i;
      i = c;
    }
    heap[i] = job;
    job.heapIndex = i;
  }
}
