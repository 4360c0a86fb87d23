/**
 * The server-side batch limit: at most `max` requests generate at once, the
 * rest wait in FIFO order (a real server's scheduler queue). max 0 = unlimited.
 */

export interface SlotUser {
  /** Called when the request gets its slot. */
  begin(nowMs: number): void;
  /** True once the request was abandoned (client left while queued). */
  readonly abandoned: boolean;
}

export class Slots {
  private active = 0;
  private queue: SlotUser[] = [];
  private head = 0;
  private draining = false;
  /** Highest number of requests generating at once since the last resetPeak(). */
  peak = 0;

  constructor(private readonly max: number) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  acquire(user: SlotUser): void {
    if (this.max > 0 && this.active >= this.max) {
      this.queue.push(user);
      return;
    }
    this.grant(user);
  }

  release(): void {
    this.active--;
    // Grant in a microtask: a release inside a ticker batch is stamped at the batch's end, and the next
    // request must start after that, so the truth never shows more than `max` overlapping.
    if (!this.draining && this.head < this.queue.length) {
      this.draining = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.draining = false;
    while (this.head < this.queue.length && (this.max === 0 || this.active < this.max)) {
      const next = this.queue[this.head++];
      if (!next.abandoned) this.grant(next);
    }
    // Drop the consumed prefix now and then instead of shifting on every grant.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  };

  resetPeak(): void {
    this.peak = this.active;
  }

  private grant(user: SlotUser): void {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
    user.begin(performance.now());
  }
}
