/**
 * Find and load saved results under a path (a file or a directory tree):
 * vbench's benchmark_results.json, vLLM-format result JSON and standardized
 * documents. Unrelated JSON (configs, package.json) is skipped with a debug
 * note; a file that is not valid JSON or claims to be a result but is broken
 * is reported as a problem (a warning for directory scans, an error when the
 * path names that one file).
 *
 * One result often appears twice (benchmark_results.json and its
 * standardized copy in parsed/): the richer file is kept, with the
 * standardized document attached. Results are the same when their identity
 * (LoadedRun.key: run id + scenario + sweep point) is; one `vbench run`
 * writes many results, one per scenario and sweep point.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { parseJsonWithPosition } from "../base/json-position.ts";
import { parseLenientJson } from "../base/json-position.ts";
import { classifyDocument, toLoadedRun } from "./normalize.ts";
import type { LoadedRun, RunGroup, RunSourceKind } from "./types.ts";

export interface LoadLog {
  warn(message: string): void;
  debug(message: string): void;
}

export interface LoadResult {
  runs: LoadedRun[];
  /** Files that look like results but could not be read, with the reason. */
  problems: { path: string; reason: string }[];
}

/** Every *.json file under `path` (the path itself when it is a file), sorted; hidden folders and node_modules skipped. */
export async function findJsonFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new VbenchError("results_missing", `cannot read ${path}: ${errorMessage(e)}`, { hint: "Pass a result file or a directory of results (e.g. ./benchmark_results).", exitCode: ExitCode.config });
  }
  if (info.isFile()) return [path];
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith(".") && e.name !== "node_modules") await walk(full);
      } else if (e.isFile() && e.name.toLowerCase().endsWith(".json")) out.push(full);
    }
  };
  await walk(path);
  return out;
}

function richness(run: LoadedRun): number {
  return (run.kind === "standardized" ? 0 : 2) + (run.requests ? 1 : 0);
}

/** One file read as a result: its document and kind, `unrelated` JSON (configs, package.json), or why it cannot be read. */
export type ResultFile =
  | { status: "result"; path: string; kind: RunSourceKind; doc: Record<string, unknown>; mtimeMs: number }
  | { status: "unrelated"; path: string }
  | { status: "problem"; path: string; code: "file_unreadable" | "json_invalid" | "result_invalid"; reason: string };

/** Read and classify one file: the one reader of saved results (loadRuns, `vbench standardize`). */
export async function readResultFile(path: string): Promise<ResultFile> {
  let text: string;
  let mtimeMs = 0;
  try {
    text = await readFile(path, "utf8");
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (e) {
    return { status: "problem", path, code: "file_unreadable", reason: `cannot read: ${errorMessage(e)}` };
  }
  let doc: unknown;
  try {
    doc = parseLenientJson(text);
  } catch {
    const parsed = parseJsonWithPosition(text);
    return { status: "problem", path, code: "json_invalid", reason: `not valid JSON: ${parsed.ok ? "unreadable" : parsed.message}` };
  }
  const kind = classifyDocument(doc);
  if (kind.kind === "unrelated") return { status: "unrelated", path };
  if (kind.kind === "malformed") return { status: "problem", path, code: "result_invalid", reason: `malformed result: ${kind.reason}` };
  return { status: "result", path, kind: kind.kind, doc: doc as Record<string, unknown>, mtimeMs };
}

/** Load every result under `path`. Throws when nothing usable is found or the one named file is broken. */
export async function loadRuns(path: string, log: LoadLog): Promise<LoadResult> {
  const files = await findJsonFiles(path);
  const single = files.length === 1 && files[0] === path;
  const problems: LoadResult["problems"] = [];
  const byKey = new Map<string, LoadedRun>();
  for (const file of files) {
    const read = await readResultFile(file);
    if (read.status === "problem") {
      problems.push({ path: file, reason: read.reason });
      continue;
    }
    if (read.status === "unrelated") {
      log.debug(`skipped ${file}: not a benchmark result`);
      continue;
    }
    const run = toLoadedRun(read.doc, read.kind, file, read.mtimeMs);
    const seen = byKey.get(run.key);
    if (!seen) {
      byKey.set(run.key, run);
      continue;
    }
    const [keep, drop] = richness(run) > richness(seen) ? [run, seen] : [seen, run];
    // A standardized file written by the run (its task_name may be custom) wins over the derived document.
    if (drop.kind === "standardized") keep.standardized = drop.standardized;
    byKey.set(run.key, keep);
    log.debug(`${drop.sourcePath} is the same result as ${keep.sourcePath}`);
  }
  if (single && problems.length > 0) {
    throw new VbenchError("result_invalid", `${problems[0].path}: ${problems[0].reason}`, { hint: "Pass a benchmark_results.json, a vLLM saved result or a standardized document.", exitCode: ExitCode.config });
  }
  for (const p of problems) log.warn(`skipped ${p.path}: ${p.reason}`);
  const runs = [...byKey.values()].sort((a, b) => a.timeMs - b.timeMs || (a.sourcePath < b.sourcePath ? -1 : 1));
  if (runs.length === 0) {
    throw new VbenchError("results_missing", `no benchmark results found in ${path}`, {
      hint: single ? "The file is not a benchmark result (no `completed`/`duration` keys)." : "Looked for benchmark_results.json, vLLM result JSON and *_standardized.json files.",
      exitCode: ExitCode.config,
    });
  }
  return { runs, problems };
}

/** Runs grouped by scenario, model and backend (one trend line each), groups in first-seen order, runs oldest first. */
export function groupRuns(runs: LoadedRun[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const key = `${run.scenario}\u0000${run.model ?? ""}\u0000${run.backend ?? ""}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, scenario: run.scenario, model: run.model, backend: run.backend, runs: [] }));
    g.runs.push(run);
  }
  for (const g of groups.values()) g.runs.sort((a, b) => a.timeMs - b.timeMs);
  return [...groups.values()];
}
