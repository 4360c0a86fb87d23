/**
 * The machine's floor for dispatch lag: how late does a thread that does
 * nothing but sleep until each release wake up, right now, on this machine?
 *
 * Worker threads walk a Poisson schedule (the same rate as the run under
 * test) and claim releases from one shared counter exactly as vbench's
 * dispatch threads do, but send nothing: each sleeps with Atomics.wait (a
 * futex with a fractional-ms timeout) until the release and records how late
 * it woke. No event loop, no sockets, no allocation while running. Run in
 * its own process beside a benchmark (bench/schedule.ts --floor), its p99 is
 * what any thread of normal priority got from the kernel at that moment. A
 * dispatcher that sleeps until each release cannot beat it; vbench's wakes
 * 0.25 ms early and spins, so it can by a little, and a p99 well above the
 * floor's is the dispatcher's own cost.
 *
 *   npx bun bench/floor.ts [--rate 1000] [--seconds 10] [--threads 2]
 *
 * Prints one JSON line: {"rateRps", "threads", "releases", "p50", "p99", "max"} (ms).
 */
import { benchArgs } from "./_lib.ts";
import { buildSchedule } from "../src/engine/schedule.ts";
import { percentileOfSorted } from "../src/results/stats.ts";

export interface FloorFigure {
  rateRps: number;
  threads: number;
  releases: number;
  p50: number;
  p99: number;
  max: number;
}

const WORKER_SOURCE = `
self.onmessage = (event) => {
  const { offsetsMs, t0EpochMs, claim, lags } = event.data;
  const next = new Int32Array(claim);
  const lagMs = new Float64Array(lags);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const now = () => performance.timeOrigin + performance.now();
  for (;;) {
    const i = Atomics.load(next, 0);
    if (i >= offsetsMs.length) break;
    const due = t0EpochMs + offsetsMs[i];
    const waitMs = due - now();
    if (waitMs > 0) { Atomics.wait(sleeper, 0, 0, waitMs); continue; }
    if (Atomics.compareExchange(next, 0, i, i + 1) === i) lagMs[i] = now() - due;
  }
  postMessage("done");
};
`;

export async function measureFloor(rateRps: number, seconds: number, threads: number): Promise<FloorFigure> {
  const count = Math.round(rateRps * seconds);
  const offsetsMs = buildSchedule({ count, rateRps, burstiness: 1, rampUp: null, seed: 1 });
  const claim = new SharedArrayBuffer(4);
  const lags = new SharedArrayBuffer(count * 8);
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
  const t0EpochMs = performance.timeOrigin + performance.now() + 20;
  const workers = Array.from({ length: threads }, () => new Worker(url));
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.onmessage = () => resolve();
          worker.postMessage({ offsetsMs, t0EpochMs, claim, lags });
        }),
    ),
  );
  for (const worker of workers) worker.terminate();
  // The same percentile definition as vbench's own dispatch lag, so the two p99s compare like for like.
  const sorted = Float64Array.from(new Float64Array(lags)).sort();
  return { rateRps, threads, releases: count, p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99), max: sorted[count - 1]! };
}

if (import.meta.main) {
  const args = benchArgs();
  const figure = await measureFloor(Number(args.get("rate") ?? 1000), Number(args.get("seconds") ?? 10), Number(args.get("threads") ?? 2));
  console.log(JSON.stringify(figure));
}
