/**
 * `vbench export RAW.msgpack --format csv[,json,...] [--out-dir DIR]`:
 * re-render exports from raw.msgpack without re-running. The same exporter
 * code runs as during `vbench run`, and file names take their timestamp from
 * the raw run info, so the output is byte-identical to the live export.
 *
 * Layout: one raw file → every file flat in DIR (default: the raw file's
 * directory). Several raw files → DIR/scenario_NAME_TIMESTAMP/ per scenario,
 * DIR/parsed/ and the run-level files (summary.csv, metrics.prom) in DIR.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ExportContext, ExporterPlugin } from "../base/plugin-types.ts";
import type { ScenarioResult } from "../base/scenario-types.ts";
import type { Registry } from "../plugin-host/registry.ts";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { decodeRaw } from "../results/raw-records.ts";
import { scenarioLabel } from "../results/result-docs.ts";

export interface ExportCommandOptions {
  /** Exporter name(s), comma-separated, or "all". */
  format: string;
  outDir?: string;
  /** Exporter options by exporter name (as `exporter_options` in the config). */
  exporterOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Human messages; stderr by default. */
  log?: (message: string) => void;
}

async function readRaw(path: string): Promise<ScenarioResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new VbenchError("raw_unreadable", `cannot read ${path}: ${errorMessage(e)}`, {
      hint: "Pass the raw.msgpack written into a scenario directory by the msgpack exporter.",
      exitCode: ExitCode.config,
      cause: e,
    });
  }
  return decodeRaw(bytes);
}

export function exportersFor(format: string, registry: Registry): ExporterPlugin[] {
  const names = format === "all" ? registry.exporterNames() : format.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) {
    throw new VbenchError("export_format_missing", "no export format given", { hint: `Use --format with one of: ${registry.exporterNames().join(", ")}, or all.` });
  }
  return names.map((n) => registry.exporter(n));
}

export function safeStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Decode the raw file(s), run the exporters, return every path written. */
export async function runExportCommand(rawPaths: string | string[], opts: ExportCommandOptions, registry: Registry): Promise<string[]> {
  const paths = Array.isArray(rawPaths) ? rawPaths : [rawPaths];
  if (paths.length === 0) throw new VbenchError("export_input_missing", "no raw.msgpack file given", { hint: "vbench export RAW.msgpack --format csv" });
  if (paths.length > 1 && !opts.outDir) {
    throw new VbenchError("export_out_dir_required", "exporting several raw files needs --out-dir", {
      hint: "Their per-scenario files would overwrite each other in one directory.",
    });
  }
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const exporters = exportersFor(opts.format, registry);
  const results = await Promise.all(paths.map(readRaw));

  const outDir = opts.outDir ?? dirname(paths[0]);
  const written = await writeWithExporters(results, exporters, { outDir, flat: paths.length === 1, exporterOptions: opts.exporterOptions, log });
  for (const p of written) log(`wrote ${p}`);
  return written;
}

/** Where a result's files go: flat in outDir, or the run layout (outDir/scenario_LABEL_TIMESTAMP/, outDir/parsed/). */
export function exportContext(exporter: ExporterPlugin, result: ScenarioResult | null, opts: { outDir: string; flat: boolean; exporterOptions?: ExportCommandOptions["exporterOptions"]; log: (message: string) => void }): ExportContext {
  const scenarioDir = opts.flat || !result ? opts.outDir : join(opts.outDir, safeStem(`scenario_${scenarioLabel(result)}_${result.run.timestamp}`));
  return {
    scenarioDir,
    outputDir: opts.outDir,
    parsedDir: opts.flat ? opts.outDir : join(opts.outDir, "parsed"),
    options: opts.exporterOptions?.[exporter.name] ?? {},
    log: opts.log,
  };
}

/**
 * Run exporters over finished results, as `vbench run` does after each scenario: every destination
 * is checked before anything is written. Used by `vbench export` and `vbench merge`. Returns the
 * paths written, each once.
 */
export async function writeWithExporters(results: ScenarioResult[], exporters: ExporterPlugin[], opts: Parameters<typeof exportContext>[2]): Promise<string[]> {
  for (const exporter of exporters) {
    for (const result of results) await exporter.preflight?.(exportContext(exporter, result, opts));
  }
  const written: string[] = [];
  for (const exporter of exporters) {
    for (const result of results) written.push(...(await exporter.write(result, exportContext(exporter, result, opts))));
    if (exporter.finish) written.push(...(await exporter.finish(results, exportContext(exporter, null, opts))));
  }
  return [...new Set(written)];
}
