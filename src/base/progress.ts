/**
 * Live progress on stderr, rendered from counters on its own timer (never
 * from the hot path): a redrawn bar on a TTY, a plain line every few seconds
 * otherwise (CI logs stay readable).
 */
export interface ProgressCounters {
  done: number;
  /** Requests that failed; those cancelled by an interruption are counted apart (they are neither successes nor failures). */
  failed: number;
  cancelled?: number;
  total: number;
}

const TTY_REDRAW_MS = 200;
const PLAIN_EVERY_MS = 10_000;
const BAR_WIDTH = 24;

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** A time-bound run's `total` is its duration in seconds; elapsed time past it is the drain. */
export function formatProgress(counters: ProgressCounters, elapsedS: number, timeBound: boolean): string {
  const rate = elapsedS > 0 ? counters.done / elapsedS : 0;
  const failed = (counters.failed > 0 ? `, ${counters.failed} failed` : "") + (counters.cancelled ? `, ${counters.cancelled} cancelled` : "");
  if (timeBound) {
    // Past the duration nothing new is sent: the requests in flight finish (the drain), timed on their own.
    const drainS = elapsedS - counters.total;
    const dispatching = drainS < 0 ? `${clock(Math.floor(elapsedS))} of ${clock(counters.total)}` : `${clock(counters.total)} of ${clock(counters.total)}, draining ${clock(drainS)}`;
    return `${counters.done} done${failed} [${dispatching}, ${rate.toFixed(2)} req/s]`;
  }
  const fraction = counters.total > 0 ? Math.min(1, counters.done / counters.total) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const eta = rate > 0 ? (counters.total - counters.done) / rate : Infinity;
  const bar = "█".repeat(filled) + " ".repeat(BAR_WIDTH - filled);
  return `${String(Math.floor(fraction * 100)).padStart(3)}%|${bar}| ${counters.done}/${counters.total}${failed} [${clock(elapsedS)}<${clock(eta)}, ${rate.toFixed(2)} req/s]`;
}

export class Progress {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly startMs = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly counters: ProgressCounters,
    private readonly timeBound: boolean,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.render(false), this.tty ? TTY_REDRAW_MS : PLAIN_EVERY_MS);
    this.timer.unref?.();
  }

  private render(final: boolean): void {
    const line = formatProgress(this.counters, (performance.now() - this.startMs) / 1000, this.timeBound);
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    else process.stderr.write(line + "\n");
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.render(true);
  }
}
