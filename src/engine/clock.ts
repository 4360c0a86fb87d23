/**
 * The engine's clock (./engine.ts): the time and the timers it runs on,
 * injected so the release schedule, the slot queue, timeouts and
 * cancellation can be tested on a fake clock (test/helpers/fake-clock.ts)
 * rather than in real time. The real one is performance.now() and the
 * runtime's timers; the HTTP client and TimedRequest stamp their reads on
 * performance.now() too, so in a real run every time is on one clock.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds on a monotonic clock (performance.now() for the real one). */
  now(): number;
  /** Run `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Run `fn` every `ms`. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /** Run `fn` on the next turn of the event loop, after pending I/O (a spin step). */
  setImmediate(fn: () => void): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  setImmediate: (fn) => void setImmediate(fn),
};
