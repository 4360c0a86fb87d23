/**
 * Everything `vbench run` checks before it sends its first byte, except the
 * network: the output directories, each scenario's tokenizer, and each
 * scenario's dataset (its file read through, the first malformed line
 * found). `vbench validate` calls the same function with `dryRun`, which
 * creates no directory, so the two accept the same scenarios and reject the
 * others with the same messages.
 */
import type { PlannedRun, RunPlan } from "../config/config.ts";
import { checkWritableDir } from "../base/atomic-write.ts";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { plannedCount } from "../config/planned-count.ts";
import { fileRoom } from "../base/open-files.ts";
import { shardConcurrency, type ShardSpec } from "../config/shard.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { buildWorkload, type BuiltWorkload } from "../workload/index.ts";
import { sessionsOption } from "../workload/sessions.ts";
import { loadTokenizer, type Tokenizer } from "../workload/tokenizer.ts";

export interface PreflightOptions {
  outputDir: string;
  parsedDir: string;
  /** validate: create nothing, only check that the directories could be created and written. */
  dryRun: boolean;
  /** This process's shard: it holds its share of the connections. */
  shard?: ShardSpec | null;
}

interface Problem {
  /** Where the thing was named (`config.json: scenarios[0].dataset_path`, `--tokenizer`), if known. */
  where?: string;
  error: VbenchError;
}

/** A run's workload as the pre-flight built it (its dataset file read): prepareScenario takes it instead of reading the file again. */

/**
 * Run every check, collect every problem, and throw them together. Returns
 * the loaded tokenizers and, unless `dryRun`, each run's workload, for reuse.
 */
export async function checkBeforeSending(plan: RunPlan, options: PreflightOptions): Promise<{ tokenizers: Map<string, Tokenizer>; workloads: Map<PlannedRun, BuiltWorkload> }> {
  const problems: Problem[] = [];
  const attempt = async <T>(where: string | undefined, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      problems.push({ where, error: asVbenchError(error) });
      return undefined;
    }
  };

  // The output directory holds the main log; PARSED_DIR is only checked: it is created when a result is written.
  await attempt(undefined, () => checkWritableDir(options.outputDir, { create: true, dryRun: options.dryRun }));
  if (options.parsedDir !== options.outputDir) await attempt(undefined, () => checkWritableDir(options.parsedDir, { create: true, dryRun: true }));

  const tokenizers = new Map<string, Tokenizer>();
  const failedTokenizers = new Set<string>();
  for (const { scenario, places } of plan.runs) {
    if (tokenizers.has(scenario.tokenizer) || failedTokenizers.has(scenario.tokenizer)) continue;
    const tokenizer = await attempt(places?.tokenizer, () => loadTokenizer(scenario.tokenizer));
    if (tokenizer) tokenizers.set(scenario.tokenizer, tokenizer);
    else failedTokenizers.add(scenario.tokenizer);
  }

  // Building the workload runs the dataset's own checks: type, options, the file read through to its first malformed line.
  // validate builds one request per scenario; run builds each run's workload once, here, and keeps it.
  const workloads = new Map<PlannedRun, BuiltWorkload>();
  // A scenario's sweep points share its dataset: one that failed (or, for validate, was checked) is not built again.
  const settled = new Set<string>();
  for (const run of plan.runs) {
    const { scenario, places } = run;
    const key = JSON.stringify([scenario.name, scenario.dataset, scenario.tokenizer]);
    const tokenizer = tokenizers.get(scenario.tokenizer);
    if (settled.has(key) || !tokenizer) continue;
    const workload = await attempt(places?.dataset, () => buildWorkload(scenario, tokenizer, options.dryRun ? 1 : plannedCount(scenario)));
    if (workload && !options.dryRun) workloads.set(run, workload);
    else settled.add(key);
  }

  // Every stream is a socket: a burst opens all of its connections at once, and past the limit Bun
  // reports the sockets it cannot create as refused by the server (src/base/open-files.ts).
  const room = fileRoom();
  for (const { scenario, variant, places } of plan.runs) {
    const burst = burstConnections(scenario, options.shard ?? null);
    if (room === undefined || burst <= room.free) continue;
    const what = burst > measuredBurst(scenario, options.shard ?? null) ? "warm-up requests" : "streams";
    problems.push({ where: what === "streams" ? places?.concurrency : undefined, error: tooManyConnections(burst, what, room, variant) });
  }

  if (problems.length === 1) {
    const { where, error } = problems[0]!;
    throw new VbenchError(error.code, where ? `${where}: ${error.message}` : error.message, { hint: error.hint, details: error.details, exitCode: error.exitCode, cause: error });
  }
  if (problems.length > 1) {
    const lines = problems.map(({ where, error }) => `${where ? `${where}: ` : ""}${error.message}${error.hint ? ` (${error.hint})` : ""}`);
    throw new VbenchError("preflight_failed", `${problems.length} problems found before sending; nothing was sent`, { details: lines, exitCode: ExitCode.config });
  }
  return { tokenizers, workloads };
}

/**
 * Connections a run certainly holds at once: its warm-up requests all go out together, and a
 * rate-inf run without a ramp sends max_concurrency (or all) of its requests together; a shard,
 * its share of those (src/config/shard.ts).
 */
function burstConnections(scenario: ResolvedScenario, shard: ShardSpec | null = null): number {
  return Math.max(scenario.warmups, measuredBurst(scenario, shard));
}

function measuredBurst(scenario: ResolvedScenario, shard: ShardSpec | null): number {
  if (Number.isFinite(scenario.requestRate) || scenario.rampUp) return 0;
  // Sessions start together and send their turns one at a time: a connection each.
  const planned = startedTogether(scenario);
  if (shard === null) return Math.min(scenario.maxConcurrency ?? Infinity, planned);
  // A limit too small to split is the shard check's error, not this one's.
  if (scenario.maxConcurrency !== null && scenario.maxConcurrency < shard.count) return 0;
  const requests = Math.ceil((planned - shard.index) / shard.count);
  return Math.min(shardConcurrency(scenario.maxConcurrency, shard) ?? Infinity, requests);
}

/** Sessions of a multi-turn workload, else the planned requests; 0 when the session options are wrong (the dataset check says so). */
function startedTogether(scenario: ResolvedScenario): number {
  try {
    return sessionsOption(scenario)?.sessions ?? plannedCount(scenario);
  } catch {
    return 0;
  }
}

function tooManyConnections(burst: number, what: string, { limit, free }: { limit: number; free: number }, variant: string): VbenchError {
  return new VbenchError(
    "open_file_limit",
    `${burst} ${what} at once${variant ? ` (${variant})` : ""} need ${burst} connections, but this process may open ${limit} files (ulimit -n), ${free} of them free for connections`,
    {
      hint: `Raise the limit above ${burst + limit - free} (ulimit -n in the shell, LimitNOFILE= in a systemd unit, --ulimit nofile= for docker; only root raises the hard limit), or lower max_concurrency. Past it the runtime reports each socket it cannot create as ECONNREFUSED.`,
      exitCode: ExitCode.config,
    },
  );
}

/** A failure that is not ours (a bug in a dataset reader) still stops the run before it sends anything. */
function asVbenchError(error: unknown): VbenchError {
  if (error instanceof VbenchError) return error;
  return new VbenchError("preflight_failed", errorMessage(error), { cause: error, exitCode: ExitCode.config });
}
