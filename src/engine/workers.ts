/**
 * How many worker threads run the engine (`--workers N`, VBENCH_WORKERS):
 * by default the CPUs this process may use (its affinity mask), at most
 * DEFAULT_MAX; 0 runs the engine on the main thread. VBENCH_DISPATCH_THREADS,
 * the older name, is still read (its 1 meant the main thread, so it maps to 0).
 *
 * With one CPU (`taskset -c 1 vbench ...`, a container limited to one core)
 * the default is 0: a worker would share that CPU with the main thread, whose
 * record handling then delays the worker's reads. Measured at 1024 streams
 * pinned to one CPU (bench/scale-wire.ts --pin, three interleaved pairs):
 * client − wire mean TTFT +1.09..+1.53 ms on the main thread against
 * +0.81..+9.34 ms with one worker, p99 TTFT +0.11..+11.3 against +4.5..+57 ms,
 * at 15.6–16.5 against 17.3–19.7 µs of CPU per stream message.
 */
import { availableParallelism } from "node:os";
import { VbenchError, ExitCode } from "../base/errors.ts";

/** The default never exceeds this: every worker is woken for every release. */
const DEFAULT_MAX = 16;
const MAX_WORKERS = 64;

type Env = Record<string, string | undefined>;

/** The worker count from the --workers flag's value (undefined: not given) and the environment. */
export function workerCount(flag: unknown, env: Env = process.env): number {
  const given = flag ?? env.VBENCH_WORKERS;
  if (given !== undefined && given !== "") return parseCount(String(given), flag !== undefined ? "--workers" : "VBENCH_WORKERS");
  const legacy = env.VBENCH_DISPATCH_THREADS;
  if (legacy !== undefined && legacy !== "") {
    const n = parseCount(legacy, "VBENCH_DISPATCH_THREADS");
    return n === 1 ? 0 : n;
  }
  return defaultWorkers();
}

/** The default for `cpus` usable CPUs: one worker each (at most DEFAULT_MAX), none when there is only one. */
export function defaultWorkers(cpus = availableParallelism()): number {
  return cpus <= 1 ? 0 : Math.min(DEFAULT_MAX, cpus);
}

function parseCount(raw: string, where: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_WORKERS || raw.trim() === "") {
    throw new VbenchError("config_invalid", `${where} must be a whole number from 0 to ${MAX_WORKERS}, not "${raw}"`, {
      hint: `Leave it unset for the default (the CPUs vbench may use, here ${defaultWorkers()}), or set 0 to run the engine on the main thread.`,
      exitCode: ExitCode.config,
    });
  }
  return n;
}
