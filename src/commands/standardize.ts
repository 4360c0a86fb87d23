/**
 * `vbench standardize RESULTS.json --output_file OUT --task_name NAME
 * --config_path CONFIG [--scenario NAME] [--check]`: the seed's
 * scripts/standardize_vllm_benchmark.py as a command. Reads a result saved by
 * vLLM's benchmark or vbench's benchmark_results.json, writes the standardized
 * document (to stdout when no output file is given) and evaluates the
 * config's thresholds; with --check a failed one exits 4 (src/cli.ts).
 */
import { readFile } from "node:fs/promises";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { parseLenientJson } from "../base/json-position.ts";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { formatJson } from "../results/result-docs.ts";
import { standardizeVllmResult } from "../results/standardized.ts";
import { readResultFile } from "../analysis/load.ts";

export interface StandardizeCommandOptions {
  outputFile?: string;
  taskName?: string;
  configPath?: string;
  /** Scenario of the config the result belongs to (vLLM's files do not name it). */
  scenario?: string;
  /** Human messages; stderr by default. */
  log?: (message: string) => void;
  /** Where the document goes without outputFile; stdout by default. */
  stdout?: (text: string) => void;
}

export interface StandardizeCommandResult {
  document: Record<string, unknown>;
  /** The file written, or undefined when the document went to stdout. */
  outputFile?: string;
  passed: boolean;
}

async function readJsonObject(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new VbenchError("file_unreadable", `cannot read ${what} ${path}: ${errorMessage(e)}`, { exitCode: ExitCode.config, cause: e });
  }
  let value: unknown;
  try {
    value = parseLenientJson(text);
  } catch (e) {
    throw new VbenchError("json_invalid", `${what} ${path} is not valid JSON: ${errorMessage(e)}`, { exitCode: ExitCode.config, cause: e });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new VbenchError("json_invalid", `${what} ${path} is not a JSON object`, { exitCode: ExitCode.config });
  }
  return value as Record<string, unknown>;
}

/** The result document, read as every analysis command reads results (src/analysis/load.ts). */
async function readResult(path: string): Promise<Record<string, unknown>> {
  const read = await readResultFile(path);
  const hint = "Pass the benchmark_results.json written by vbench or the JSON saved by vLLM's benchmark (--save-result).";
  if (read.status === "problem") throw new VbenchError(read.code, `result file ${path}: ${read.reason}`, { hint, exitCode: ExitCode.config });
  if (read.status === "unrelated") throw new VbenchError("result_invalid", `${path}: not a benchmark result: the keys \`completed\` and \`duration\` are missing`, { hint, exitCode: ExitCode.config });
  if (read.kind === "standardized") throw new VbenchError("result_invalid", `${path} is already a standardized document`, { hint, exitCode: ExitCode.config });
  return read.doc;
}

export async function runStandardizeCommand(resultsPath: string, opts: StandardizeCommandOptions = {}): Promise<StandardizeCommandResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const raw = await readResult(resultsPath);
  const config = opts.configPath ? await readJsonObject(opts.configPath, "config file") : undefined;
  // The scenario picks thresholds from the config (standardized.ts says when the config lacks it).
  if (opts.scenario !== undefined && !config) throw new VbenchError("config_invalid", `--scenario ${opts.scenario} needs --config-path: the scenario's thresholds come from the config file`, { exitCode: ExitCode.config });
  let document: Record<string, unknown>;
  try {
    document = standardizeVllmResult(raw, { taskName: opts.taskName, config, scenarioName: opts.scenario });
  } catch (e) {
    if (e instanceof VbenchError && (e.code === "result_invalid" || e.code === "config_invalid")) {
      const file = e.code === "result_invalid" ? resultsPath : opts.configPath;
      throw new VbenchError(e.code, `${file}: ${e.message}`, { hint: e.hint, exitCode: e.exitCode, details: e.details, cause: e });
    }
    throw e;
  }
  const text = formatJson(document);
  if (opts.outputFile) {
    await writeFileAtomic(opts.outputFile, text);
    log(`wrote ${opts.outputFile}`);
  } else {
    (opts.stdout ?? ((t: string) => process.stdout.write(t)))(text);
  }
  const passed = document.passed === true;
  const thresholds = Object.entries(document.thresholds as Record<string, { passed: boolean }>);
  if (thresholds.length > 0) {
    const failed = thresholds.filter(([, v]) => !v.passed).map(([k]) => k);
    log(failed.length === 0 ? `thresholds: all ${thresholds.length} passed` : `thresholds: FAILED ${failed.join(", ")}`);
  }
  return { document, outputFile: opts.outputFile, passed };
}
