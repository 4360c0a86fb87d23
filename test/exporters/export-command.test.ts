import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExportContext, ExporterPlugin } from "../../src/base/plugin-types.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { Registry } from "../../src/plugin-host/registry.ts";
import { runExportCommand } from "../../src/commands/export.ts";
import json from "../../plugins/exporters/json.ts";
import csv from "../../plugins/exporters/csv.ts";
import msgpack from "../../plugins/exporters/msgpack.ts";
import prometheus from "../../plugins/exporters/prometheus.ts";
import { sampleResult } from "./sample-result.ts";
import { rejection } from "../helpers/errors.ts";

const exporters: ExporterPlugin[] = [json, csv, msgpack, prometheus];
const root = await mkdtemp(join(tmpdir(), "vbench-export-"));
afterAll(() => rm(root, { recursive: true, force: true }));

function registry(): Registry {
  const reg = new Registry();
  for (const e of exporters) reg.register(e);
  return reg;
}

/** What `vbench run` does with exporters: preflight, write per scenario, finish. */
async function liveExport(results: ScenarioResult[], outputDir: string): Promise<Map<ScenarioResult, string>> {
  const dirs = new Map<ScenarioResult, string>();
  const ctx = (r: ScenarioResult | null): ExportContext => ({
    scenarioDir: r ? join(outputDir, `scenario_${r.scenario.name}${r.run.variant}_${r.run.timestamp}`) : outputDir,
    outputDir,
    parsedDir: join(outputDir, "parsed"),
    options: {},
    log: () => undefined,
  });
  for (const e of exporters) for (const r of results) await e.preflight?.(ctx(r));
  for (const e of exporters) {
    for (const r of results) {
      dirs.set(r, ctx(r).scenarioDir);
      await e.write(r, ctx(r));
    }
    await e.finish?.(results, ctx(null));
  }
  return dirs;
}

async function bytes(path: string): Promise<Buffer> {
  return readFile(path);
}

describe("vbench export", () => {
  test("re-renders every format byte-identical to the live export, names from the raw run info", async () => {
    const live = join(root, "live");
    const r = sampleResult();
    const [scenarioDir] = (await liveExport([r], live)).values();
    const again = join(root, "again");
    const logs: string[] = [];
    const written = await runExportCommand(join(scenarioDir, "raw.msgpack"), { format: "all", outDir: again, log: (m) => logs.push(m) }, registry());

    const std = "basic_performance_20250102_030405_standardized.json";
    expect((await readdir(again)).sort()).toEqual([std, "benchmark_results.json", "metrics.prom", "raw.msgpack", "requests.csv", "summary.csv"]);
    expect(written.length).toBe(6);
    expect(logs.length).toBe(6);
    const pairs: [string, string][] = [
      [join(scenarioDir, "benchmark_results.json"), join(again, "benchmark_results.json")],
      [join(live, "parsed", std), join(again, std)],
      [join(scenarioDir, "requests.csv"), join(again, "requests.csv")],
      [join(live, "summary.csv"), join(again, "summary.csv")],
      [join(scenarioDir, "metrics.prom"), join(again, "metrics.prom")],
      [join(live, "metrics.prom"), join(again, "metrics.prom")],
      [join(scenarioDir, "raw.msgpack"), join(again, "raw.msgpack")],
    ];
    for (const [a, b] of pairs) expect((await bytes(b)).equals(await bytes(a))).toBe(true);
  });

  test("several raw files: per-scenario directories, parsed/ and one summary row each", async () => {
    const live = join(root, "live2");
    const results = [sampleResult({ variant: "c1" }), sampleResult({ variant: "c8" })];
    const dirs = [...(await liveExport(results, live)).values()];
    const out = join(root, "multi");
    await runExportCommand(dirs.map((d) => join(d, "raw.msgpack")), { format: "csv,json", outDir: out, log: () => undefined }, registry());
    expect((await readdir(out)).sort()).toEqual(["parsed", "scenario_basic_performance_c1_20250102_030405", "scenario_basic_performance_c8_20250102_030405", "summary.csv"]);
    expect((await bytes(join(out, "summary.csv"))).equals(await bytes(join(live, "summary.csv")))).toBe(true);
    expect((await readdir(join(out, "parsed"))).sort()).toEqual([
      "basic_performance_c1_20250102_030405_standardized.json",
      "basic_performance_c8_20250102_030405_standardized.json",
    ]);
  });

  test("errors: unknown format, missing file, several files without --out-dir", async () => {
    const raw = join(root, "live", (await readdir(join(root, "live"))).find((d) => d.startsWith("scenario_"))!, "raw.msgpack");
    const fail = rejection;
    expect((await fail(runExportCommand(raw, { format: "xml" }, registry()))).code).toBe("unknown_exporter");
    expect((await fail(runExportCommand(join(root, "none.msgpack"), { format: "csv" }, registry()))).code).toBe("raw_unreadable");
    expect((await fail(runExportCommand([raw, raw], { format: "csv" }, registry()))).code).toBe("export_out_dir_required");
  });
});
