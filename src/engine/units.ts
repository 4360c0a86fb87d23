/**
 * What the engine (./engine.ts) drives and is driven by: the units it
 * claims, the requests in flight it times out and cancels, the readiness of
 * request bytes and the precise wakes of a release clock.
 */
import type { FailureCategory } from "../base/request-types.ts";

/** A request in flight, as the engine times it out and cancels it (TimedRequest is one). */
export interface Exchange {
  readonly sentAtMs: number;
  readonly lastActivityMs: number;
  abort(category: FailureCategory, message: string, nowMs: number): void;
}

/** What a claimed unit does. `begin` must lead to exactly one engine.endUnit(). */
export interface Units {
  /** Unit i has its slot at nowMs (ms from t0), having waited slotWaitMs for it (0: a slot was free when it was due). */
  begin(i: number, nowMs: number, slotWaitMs: number): void;
}

/** Whether unit i can start (its request bytes are built); `onArrival` runs when more can. */
export interface Readiness {
  has(i: number): boolean;
  onArrival: (() => void) | null;
}

/** Precise wakes ahead of releases (a release clock, ./release-clock.ts): onWake(last) EARLY_MS before unit `last` is due. */
export interface WakeSource {
  start(onWake: (last: number) => void): void;
  stop(): void;
}

/** Fail exchanges past their overall or idle limit. Called from one interval timer, never per request. */
export function sweepTimeouts(inFlight: Iterable<Exchange>, nowMs: number, timeoutMs: number, idleTimeoutMs: number): void {
  for (const x of inFlight) {
    if (nowMs - x.sentAtMs > timeoutMs) x.abort("timeout", `no complete response within ${timeoutMs / 1000} s (timeout_s)`, nowMs);
    else if (nowMs - x.lastActivityMs > idleTimeoutMs) x.abort("timeout", `no data for ${idleTimeoutMs / 1000} s (idle_timeout_s)`, nowMs);
  }
}

/** How often the sweeper looks: often enough for short test limits, rarely enough to cost nothing. */
export function sweepIntervalMs(idleTimeoutMs: number): number {
  return Math.min(250, idleTimeoutMs / 4);
}
