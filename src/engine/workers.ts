/**
 * How many worker threads run the engine (`--workers N`, VBENCH_WORKERS):
 * by default the CPUs this process may use (its affinity mask), at most
 * DEFAULT_MAX; 0 runs the engine on the main thread. VBENCH_DISPATCH_THREADS,
 * the older name, is still read (its 1 meant the main thread, so it maps to 0).
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

export function defaultWorkers(): number {
  return Math.max(1, Math.min(DEFAULT_MAX, availableParallelism()));
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
