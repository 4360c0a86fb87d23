/**
 * `vbench run`'s exporters: checked before the first request, handed each
 * scenario's result and then all of them. One exporter failing (disk full, a
 * database down) stops neither the others nor the next scenario; the run
 * goes on and ends with the first failure's error.
 */
import type { ExportContext, ExporterPlugin } from "../base/plugin-types.ts";
import type { ScenarioResult } from "../base/scenario-types.ts";
import type { Logger } from "../base/log.ts";
import type { RunPlan } from "../config/config.ts";
import type { Registry } from "../plugin-host/registry.ts";
import { VbenchError, errorMessage } from "../base/errors.ts";

export interface ResultDirs {
  outputDir: string;
  parsedDir: string;
  /** Per-exporter options from flags, merged over the file's `exporter_options`. */
  exporterOptions?: Record<string, Record<string, unknown>>;
}

export class ResultWriter {
  private readonly exporters: ExporterPlugin[];
  /** Results that could not be written, in order. */
  private readonly failures: unknown[] = [];

  constructor(
    private readonly plan: RunPlan,
    registry: Registry,
    private readonly dirs: ResultDirs,
    private readonly log: Logger,
  ) {
    this.exporters = plan.exporters.map((name) => registry.exporter(name));
  }

  private context(scenarioDir: string, name: string): ExportContext {
    return {
      scenarioDir,
      outputDir: this.dirs.outputDir,
      parsedDir: this.dirs.parsedDir,
      options: { ...(this.plan.exporterOptions[name] ?? {}), ...(this.dirs.exporterOptions?.[name] ?? {}) },
      log: (message) => this.log.info(message),
    };
  }

  /** Each exporter's own destination check, before anything is sent. */
  async preflight(): Promise<void> {
    for (const exporter of this.exporters) await exporter.preflight?.(this.context(this.dirs.outputDir, exporter.name));
  }

  /** A scenario's result to every exporter. */
  async write(result: ScenarioResult, scenarioDir: string): Promise<void> {
    for (const exporter of this.exporters) {
      await this.attempt(exporter, () => exporter.write(result, this.context(scenarioDir, exporter.name)));
    }
  }

  /** Every result to the exporters that collect across scenarios. */
  async finish(results: ScenarioResult[]): Promise<void> {
    for (const exporter of this.exporters) {
      await this.attempt(exporter, async () => (await exporter.finish?.(results, this.context(this.dirs.outputDir, exporter.name))) ?? []);
    }
  }

  /** A failure to write that is not an exporter's (requests.jsonl). */
  recordFailure(error: unknown): void {
    this.failures.push(error);
  }

  /** After the run: the first failure, counting the others, if any. */
  throwIfFailed(): void {
    if (!this.failures.length) return;
    const first = this.failures[0];
    if (!(first instanceof VbenchError)) throw first;
    throw new VbenchError(first.code, `${this.failures.length} result write(s) failed; the first: ${first.message}`, { hint: first.hint, exitCode: first.exitCode, details: this.failures.slice(1).map(errorMessage) });
  }

  private async attempt(exporter: ExporterPlugin, write: () => Promise<string[]>): Promise<void> {
    try {
      const written = await write();
      for (const file of written) this.log.debug(`wrote ${file}`);
    } catch (error) {
      this.failures.push(error);
      this.log.error(`exporter ${exporter.name} failed: ${errorMessage(error)}`);
    }
  }
}
