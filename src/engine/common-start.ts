/**
 * The schedule origin t0 of a measured run, on both clocks: performance.now()
 * (every per-request time is measured on it) and the wall clock (epoch ms,
 * which is what lines up the records of shards on different machines).
 *
 * With --start-at every shard waits for the same wall-clock instant and makes
 * it its t0, so the shards' global schedules are released side by side; a
 * shard that is past the instant refuses rather than run a skewed schedule.
 */
import { ExitCode, VbenchError } from "../base/errors.ts";

/** The origin of a run's clock. */
export interface RunOrigin {
  /** t0 on performance.now(). */
  t0Ms: number;
  /** t0 on the wall clock, epoch ms (exactly the --start-at instant when one was given). */
  t0EpochMs: number;
}

/** How long before t0 the waiting ends; the load generator's own timers take it from there. */
const WAKE_BEFORE_MS = 50;
/** Without a common start: t0 this far after now, so the first release is measured against a clean clock. */
const START_MARGIN_MS = 2;

/**
 * Date.now() − performance.now(), read at the instant Date.now() ticks over to a new millisecond
 * (spins at most ~1 ms), so the offset is good to a few µs rather than Date.now()'s 1 ms step.
 */
export function wallClockOffsetMs(): number {
  const start = Date.now();
  const spinUntil = performance.now() + 2;
  let now = Date.now();
  while (now === start && performance.now() < spinUntil) now = Date.now();
  return now - performance.now();
}

function formatIso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Refuse when the common start has passed: the shard would release its whole backlog at once. */
export function assertNotLate(startAtEpochMs: number, when: string): void {
  const lateMs = Date.now() - startAtEpochMs;
  if (lateMs < 0) return;
  throw new VbenchError("start_at_passed", `the common start ${formatIso(startAtEpochMs)} passed ${(lateMs / 1000).toFixed(1)} s ago ${when}; this shard would run a skewed schedule`, {
    hint: "Give every shard a later --start-at (VBENCH_START_AT), leaving time for start-up, the initial test request and warmups (e.g. `vbench k8s-job --start-in 120s`).",
    exitCode: ExitCode.config,
  });
}

/**
 * Wait for the common start (if any) and return the run's origin. Resolves early, with the origin
 * unchanged, when the run is interrupted; throws when the instant has already passed.
 */
export async function runOrigin(startAtEpochMs: number | null, signal?: AbortSignal): Promise<RunOrigin> {
  if (startAtEpochMs === null) {
    const t0Ms = performance.now() + START_MARGIN_MS;
    return { t0Ms, t0EpochMs: t0Ms + wallClockOffsetMs() };
  }
  assertNotLate(startAtEpochMs, "before the measured run could start (after the initial test request and warmups)");
  // A sleep that overshoots the instant is not refused: its lateness shows as dispatch lag.
  await sleepUntilEpoch(startAtEpochMs - WAKE_BEFORE_MS, signal);
  return { t0Ms: startAtEpochMs - wallClockOffsetMs(), t0EpochMs: startAtEpochMs };
}

/** Sleep until the wall clock reads `epochMs` (in steps, so a clock step or an interrupt is noticed). */
async function sleepUntilEpoch(epochMs: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const waitMs = epochMs - Date.now();
    if (waitMs <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(waitMs, 1000));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done);
    });
  }
}
