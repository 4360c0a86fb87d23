/**
 * The one run pipeline under `vbench run` (and its --repeat), `vbench search`
 * and `vbench calibrate`: the pre-flight, endpoint discovery, tokenizers, the
 * HTTP client, Ctrl-C handling and the mapping of an outcome to an exit
 * code. A command builds one RunPipeline, runs its scenarios or steps
 * through it and returns the exit code; only src/cli.ts exits the process.
 */
import { mkdirSync } from "node:fs";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { Registry } from "../plugin-host/registry.ts";
import type { Logger } from "../base/log.ts";
import type { PlannedRun, RunPlan } from "../config/config.ts";
import { ExitCode } from "../base/errors.ts";
import { HttpClient } from "../engine/http.ts";
import { prepareScenario, requestHeaders } from "../engine/prepare.ts";
import { executeScenario, type ExecuteContext, type Executed } from "../engine/execute.ts";
import type { PreparedScenario } from "../engine/prepare.ts";
import type { BuiltWorkload } from "../workload/index.ts";
import { loadTokenizer, type Tokenizer } from "../workload/tokenizer.ts";
import { checkBeforeSending } from "./preflight.ts";
import type { ShardSpec } from "../config/shard.ts";
import { discoverModel } from "./discovery.ts";
import { newRunId } from "./run-info.ts";

export interface PipelineOptions {
  registry: Registry;
  log: Logger;
  apiKey?: string;
  /** Prefix of every x-request-id (a shard's is shared by the shards); default: a new one. */
  runId?: string;
  /** Worker threads that run the engine for every load of this pipeline (--workers, src/engine/workers.ts); 0: the main thread. */
  workers: number;
}

/** What the log says on the first signal, and (if anything) on the second one, which exits at once. */
export interface InterruptMessages {
  first(signal: string): string;
  again?(signal: string): string;
}

/** `untilDone`'s answer when a second signal ended the body early: exit now with ExitCode.interrupted. */
export const FORCED_EXIT = Symbol("forced exit");

/** What a command's execution adds to the pipeline's own context (client, log, signal, run id). */
export type ExecuteOptions = Pick<ExecuteContext, "scenarioDir"> & Partial<Pick<ExecuteContext, "live" | "shard" | "startAtEpochMs" | "openOutput">>;

export class RunPipeline {
  readonly runId: string;
  readonly registry: Registry;
  readonly log: Logger;
  private readonly client = new HttpClient();
  private readonly abort = new AbortController();
  private readonly tokenizers = new Map<string, Tokenizer>();
  /** Served model per server asked (base URL, backend, wanted model, check). */
  private readonly models = new Map<string, string>();
  /** Writes records still in memory (set by the scenario executing now). */
  private flush: () => Promise<void> = async () => {};

  constructor(private readonly options: PipelineOptions) {
    this.runId = options.runId ?? newRunId();
    this.registry = options.registry;
    this.log = options.log;
  }

  /** Aborted by the first SIGINT/SIGTERM: stop dispatching, cancel what is in flight. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get interrupted(): boolean {
    return this.abort.signal.aborted;
  }

  /** Connection counts of the client so far (the run's log reports them). */
  get connections(): HttpClient["stats"] {
    return this.client.stats;
  }

  /**
   * The local checks before anything is sent (`vbench validate`'s too:
   * output directories, tokenizers, datasets), every problem at once. Keeps
   * the tokenizers; returns each run's workload, built once here, unless
   * `checkOnly` (search: each step builds its own), which creates nothing.
   */
  async checkBeforeSending(plan: RunPlan, dirs: { outputDir: string; parsedDir: string; shard?: ShardSpec | null }, checkOnly = false): Promise<Map<PlannedRun, BuiltWorkload>> {
    const { tokenizers, workloads } = await checkBeforeSending(plan, { outputDir: dirs.outputDir, parsedDir: dirs.parsedDir, shard: dirs.shard ?? null, dryRun: checkOnly });
    for (const [name, tokenizer] of tokenizers) this.tokenizers.set(name, tokenizer);
    return workloads;
  }

  /** A tokenizer, loaded once per name. */
  async tokenizer(name: string): Promise<Tokenizer> {
    let tokenizer = this.tokenizers.get(name);
    if (!tokenizer) {
      tokenizer = await loadTokenizer(name);
      this.tokenizers.set(name, tokenizer);
    }
    return tokenizer;
  }

  /** The scenario with the served model filled in (spec/wire.md); each server is asked once. */
  async discover(scenario: ResolvedScenario): Promise<ResolvedScenario> {
    const backend = this.registry.backend(scenario.backend);
    const key = `${scenario.baseUrl} ${backend.name} ${scenario.servedModel} ${scenario.modelCheck}`;
    let model = this.models.get(key);
    if (model === undefined) {
      const headers = requestHeaders(scenario, backend, this.options.apiKey);
      const found = await discoverModel(scenario.baseUrl, backend, scenario.servedModel, headers, { checkModel: scenario.modelCheck });
      if (found.warning) this.log.warn(found.warning);
      model = found.model;
      this.models.set(key, model);
      this.log.debug(`discovery ${scenario.baseUrl}${backend.discovery.path}: ${found.models.join(", ") || "(none listed)"}`);
    }
    return Object.freeze({ ...scenario, servedModel: model, model: scenario.model || model });
  }

  /** A run ready to execute; `workload` is the pre-flight's, else it is built here. */
  async prepare(run: PlannedRun, workload?: BuiltWorkload): Promise<PreparedScenario> {
    const tokenizer = await this.tokenizer(run.scenario.tokenizer);
    return prepareScenario(run, this.registry.backend(run.scenario.backend), tokenizer, this.options.apiKey, workload);
  }

  /** The initial test request, warmups and the measured run, records streamed to `scenarioDir`. */
  execute(prepared: PreparedScenario, options: ExecuteOptions): Promise<Executed> {
    return executeScenario(prepared, {
      ...options,
      client: this.client,
      log: this.log,
      runId: this.runId,
      signal: this.abort.signal,
      setFlush: (flush) => (this.flush = flush),
      workers: this.options.workers,
      backendBuiltIn: this.registry.isBuiltInBackend(prepared.run.scenario.backend),
      backendFile: this.registry.backendFile(prepared.run.scenario.backend),
    });
  }

  /**
   * One short measured run (a search step, a calibration level): `base` (discovered) with `overrides`,
   * records in `dir`/requests.jsonl, on the same worker threads as a measured run.
   */
  async step(base: ResolvedScenario, overrides: Partial<ResolvedScenario>, dir: string, variant: string): Promise<Executed & { scenario: ResolvedScenario }> {
    const scenario: ResolvedScenario = Object.freeze({ ...base, ...overrides });
    mkdirSync(dir, { recursive: true });
    const executed = await this.execute(await this.prepare({ scenario, variant }), { scenarioDir: dir });
    return { ...executed, scenario };
  }

  /**
   * Run `body` with SIGINT/SIGTERM handled: the first signal aborts `signal`
   * (the body finishes and reports what finished); the second writes the
   * records still in memory and answers FORCED_EXIT at once, without waiting
   * for the body.
   */
  async untilDone<T>(messages: InterruptMessages, body: () => Promise<T>): Promise<T | typeof FORCED_EXIT> {
    let force: () => void = () => {};
    const forced = new Promise<typeof FORCED_EXIT>((resolve) => (force = () => resolve(FORCED_EXIT)));
    const onSignal = (signal: string) => {
      if (this.abort.signal.aborted) {
        const again = messages.again?.(signal);
        if (again) this.log.warn(again);
        void this.flush().finally(force);
        return;
      }
      this.log.warn(messages.first(signal));
      this.abort.abort();
    };
    const sigint = () => onSignal("SIGINT");
    const sigterm = () => onSignal("SIGTERM");
    process.on("SIGINT", sigint);
    process.on("SIGTERM", sigterm);
    try {
      return await Promise.race([body(), forced]);
    } finally {
      process.off("SIGINT", sigint);
      process.off("SIGTERM", sigterm);
    }
  }

  /** Close the client's connections. */
  close(): void {
    this.client.closeAll();
  }
}

/** The exit code of a finished run, search or calibration: interrupted 130, a failed verdict 4, else 0. */
export function exitCodeFor(outcome: { interrupted: boolean; failed: boolean }): number {
  if (outcome.interrupted) return ExitCode.interrupted;
  return outcome.failed ? ExitCode.threshold : ExitCode.ok;
}
