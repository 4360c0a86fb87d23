/**
 * The client watching itself: event-loop lag sampled on its own timer and
 * CPU time used during a run. A saturated client shows up here before it
 * shows up as inflated latencies.
 */

/** Sampling period of the event-loop lag probe. */
const PROBE_INTERVAL_MS = 20;

export interface ClientMonitor {
  stop(): { eventLoopLagMs: Float64Array; clientCpuS: number };
}

export function startClientMonitor(): ClientMonitor {
  let samples = new Float64Array(1024);
  let n = 0;
  const cpuStart = process.cpuUsage();
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
      return { eventLoopLagMs: samples.slice(0, n), clientCpuS: (cpu.user + cpu.system) / 1e6 };
    },
  };
}
