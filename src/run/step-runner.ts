/**
 * Short measured runs for commands that drive a server step by step
 * (`vbench search`, `vbench calibrate`): discovery and the tokenizer once,
 * then per step a scenario derived from the base one, prepared and executed
 * exactly as `vbench run` does (initial test request, warmups, streamed
 * records), without exporters or the result block.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { Registry } from "../plugin-host/registry.ts";
import type { Logger } from "../base/log.ts";
import { HttpClient } from "../engine/http.ts";
import { discoverModel } from "./discovery.ts";
import { prepareScenario, requestHeaders } from "../engine/prepare.ts";
import { executeScenario, type Executed } from "../engine/execute.ts";
import { loadTokenizer, type Tokenizer } from "../workload/tokenizer.ts";
import { newRunId } from "./run-info.ts";

export interface StepRunnerOptions {
  registry: Registry;
  apiKey?: string;
  log: Logger;
  signal: AbortSignal;
}

export class StepRunner {
  readonly runId = newRunId();
  private readonly client = new HttpClient();
  private tokenizer: Tokenizer | null = null;
  private flush: () => Promise<void> = async () => {};

  private constructor(
    private readonly options: StepRunnerOptions,
    /** The base scenario with the discovered model filled in. */
    readonly base: ResolvedScenario,
  ) {}

  /** Discover the model and load the tokenizer once, before the first step. */
  static async create(base: ResolvedScenario, options: StepRunnerOptions): Promise<StepRunner> {
    const backend = options.registry.backend(base.backend);
    const found = await discoverModel(base.baseUrl, backend, base.servedModel, requestHeaders(base, backend, options.apiKey), { checkModel: base.modelCheck });
    if (found.warning) options.log.warn(found.warning);
    const scenario = Object.freeze({ ...base, servedModel: found.model, model: base.model || found.model });
    const runner = new StepRunner(options, scenario);
    runner.tokenizer = await loadTokenizer(scenario.tokenizer);
    return runner;
  }

  /** Run one step with `overrides` applied to the base scenario; records go to `dir`/requests.jsonl. */
  async run(overrides: Partial<ResolvedScenario>, dir: string, variant: string): Promise<Executed & { scenario: ResolvedScenario }> {
    const scenario: ResolvedScenario = Object.freeze({ ...this.base, ...overrides });
    const backend = this.options.registry.backend(scenario.backend);
    mkdirSync(dir, { recursive: true });
    const prepared = await prepareScenario({ scenario, variant }, backend, this.tokenizer!, this.options.apiKey);
    const executed = await executeScenario(prepared, {
      client: this.client,
      log: this.options.log,
      runId: this.runId,
      scenarioDir: dir,
      signal: this.options.signal,
      // Search and calibrate steps are short runs on the main thread's event loop.
      dispatchThreads: 1,
      backendBuiltIn: this.options.registry.isBuiltInBackend(scenario.backend),
      setFlush: (f) => (this.flush = f),
    });
    return { ...executed, scenario };
  }

  /** Write records still in memory (second Ctrl-C). */
  flushRecords(): Promise<void> {
    return this.flush();
  }

  close(): void {
    this.client.closeAll();
  }
}

/** `<dir>/<name>` for a step, e.g. `step03_r37.5`. */
export function stepDir(root: string, step: number, label: string): string {
  return join(root, `step${String(step).padStart(2, "0")}_${label}`);
}
