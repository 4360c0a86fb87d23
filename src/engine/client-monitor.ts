/**
 * The client watching itself: event-loop lag sampled on its own timer,
 * CPU time used during a run, and the steal time of the CPUs it may use
 * (../base/steal.ts: the machine's share of any lateness). A saturated
 * client shows up here before it shows up as inflated latencies.
 *
 * The lag that matters is that of the loops that stamp reads: the main
 * thread's with --workers 0, else each worker thread's (./dispatcher.ts runs
 * its own probe and sends the samples back with its last message), since a
 * main thread that only merges records can be late without making any
 * timestamp late, and a worker can stall without the main thread noticing.
 */
import { allowedCpus, stealMsPerCpu, stealSinceMs } from "../base/steal.ts";

/** Sampling period of the event-loop lag probe. */
const PROBE_INTERVAL_MS = 20;

export interface LoopProbe {
  /** How late each 20 ms tick of this thread's event loop ran, in ms. */
  stop(): Float64Array;
}

/** Sample this thread's event-loop lag until stop(). */
export function startLoopProbe(): LoopProbe {
  let samples = new Float64Array(1024);
  let n = 0;
  let expected = performance.now() + PROBE_INTERVAL_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    if (n === samples.length) {
      const grown = new Float64Array(samples.length * 2);
      grown.set(samples);
      samples = grown;
    }
    samples[n++] = Math.max(0, now - expected);
    expected = now + PROBE_INTERVAL_MS;
  }, PROBE_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      return samples.slice(0, n);
    },
  };
}

export interface ClientMonitor {
  /** stealMs: summed over the CPUs the process may use; null where the kernel reports no steal time. eventLoopLagMs: this thread's. */
  stop(): { eventLoopLagMs: Float64Array; clientCpuS: number; stealMs: number | null };
}

export function startClientMonitor(): ClientMonitor {
  const cpuStart = process.cpuUsage();
  const stealStart = stealMsPerCpu();
  const probe = startLoopProbe();
  return {
    stop() {
      const eventLoopLagMs = probe.stop();
      const cpu = process.cpuUsage(cpuStart);
      return { eventLoopLagMs, clientCpuS: (cpu.user + cpu.system) / 1e6, stealMs: stealSinceMs(stealStart, allowedCpus()) };
    },
  };
}
