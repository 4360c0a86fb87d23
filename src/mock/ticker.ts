/**
 * One central timer for every stream: a min-heap of jobs by due time and a
 * single setTimeout armed for the earliest. Each wake runs every job due
 * within TOLERANCE_MS, so thousands of streams cost one timer, not one per
 * token. Due times are absolute: a late wake writes late but never shifts a
 * stream's later tokens (no drift).
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

export class Ticker {
  private heap: TickJob[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedForMs = Infinity;
  private running = false;
  private stopped = false;
  /** Wakes so far (for the cost report). */
  wakes = 0;

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
    this.timer = undefined;
    for (const j of this.heap) j.heapIndex = -1;
    this.heap = [];
  }

  private arm(): void {
    if (this.heap.length === 0) return;
    const due = this.heap[0].dueMs;
    if (this.timer !== undefined) {
      if (due >= this.armedForMs - TOLERANCE_MS) return;
      clearTimeout(this.timer);
    }
    this.armedForMs = due;
    const delayMs = Math.max(0, Math.round(due - performance.now()));
    this.timer = setTimeout(this.tick, delayMs);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.armedForMs = Infinity;
    this.running = true;
    this.wakes++;
    let now = performance.now();
    const heap = this.heap;
    while (heap.length > 0 && heap[0].dueMs <= now + TOLERANCE_MS) {
      // Take the job out before running it: run() may schedule other jobs (a queued request getting its slot).
      const job = heap[0];
      this.cancel(job);
      const next = job.run(now);
      if (!Number.isNaN(next) && job.heapIndex < 0) this.insert(job, next);
      now = performance.now();
    }
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
