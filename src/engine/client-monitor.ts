/**
 * The client watching itself: event-loop lag sampled on its own timer,
 * CPU time used during a run, and the steal time of the CPUs it may use
 * (../base/steal.ts: the machine's share of any lateness). A saturated
 * client shows up here before it shows up as inflated latencies.
 */
import { allowedCpus, stealMsPerCpu, stealSinceMs } from "../base/steal.ts";

/** Sampling period of the event-loop lag probe. */
const PROBE_INTERVAL_MS = 20;

export interface ClientMonitor {
  /** stealMs: summed over the CPUs the process may use; null where the kernel reports no steal time. */
  stop(): { eventLoopLagMs: Float64Array; clientCpuS: number; stealMs: number | null };
}

export function startClientMonitor(): ClientMonitor {
  let samples = new Float64Array(1024);
  let n = 0;
  const cpuStart = process.cpuUsage();
  const stealStart = stealMsPerCpu();
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
      const cpu = process.cpuUsage(cpuStart);
      return { eventLoopLagMs: samples.slice(0, n), clientCpuS: (cpu.user + cpu.system) / 1e6, stealMs: stealSinceMs(stealStart, allowedCpus()) };
    },
  };
}
