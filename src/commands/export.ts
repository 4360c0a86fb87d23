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
import type { ExportContext, ExporterPlugin, ScenarioResult } from "../core/types.ts";
import type { Registry } from "../core/registry.ts";
import { ExitCode, VbenchError, errorMessage } from "../core/errors.ts";
import { decodeRaw } from "../core/raw-records.ts";
import { scenarioLabel } from "../core/result-docs.ts";

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

function exportersFor(format: string, registry: Registry): ExporterPlugin[] {
  const names = format === "all" ? registry.exporterNames() : format.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) {
    throw new VbenchError("export_format_missing", "no export format given", { hint: `Use --format with one of: ${registry.exporterNames().join(", ")}, or all.` });
  }
  return names.map((n) => registry.exporter(n));
}

function safeStem(name: string): string {
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
  const ctxFor = (exporter: ExporterPlugin, result: ScenarioResult | null): ExportContext => {
    const single = paths.length === 1;
    const scenarioDir = single || !result ? outDir : join(outDir, safeStem(`scenario_${scenarioLabel(result)}_${result.run.timestamp}`));
    return {
      scenarioDir,
      outputDir: outDir,
      parsedDir: single ? outDir : join(outDir, "parsed"),
      options: opts.exporterOptions?.[exporter.name] ?? {},
      log,
    };
  };

  // Check every destination before writing anything, as `vbench run` does.
  for (const exporter of exporters) {
    for (const result of results) await exporter.preflight?.(ctxFor(exporter, result));
  }
  const written: string[] = [];
  for (const exporter of exporters) {
    for (const result of results) written.push(...(await exporter.write(result, ctxFor(exporter, result))));
    if (exporter.finish) written.push(...(await exporter.finish(results, ctxFor(exporter, null))));
  }
  const unique = [...new Set(written)];
  for (const p of unique) log(`wrote ${p}`);
  return unique;
}
