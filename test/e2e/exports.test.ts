/**
 * Every exporter through the compiled binary, and `vbench export` re-rendering
 * the live files byte for byte from raw.msgpack.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import { tempDir, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";

const mock = sharedMock({ ttftMs: 5, itlMs: 1 });
let out: string;
let scenarioDir: string;
let run: Awaited<ReturnType<typeof vbench>>;

beforeAll(async () => {
  const dir = tempDir();
  out = join(dir, "out");
  const config = await writeConfig(dir, [{ name: "exp", num_prompts: 12, max_concurrency: 4, random_input_len: 16, random_output_len: 6 }], { thresholds: { success_rate: 0.9 } });
  run = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out, "--export", "json,csv,msgpack,prometheus,html"]);
  scenarioDir = join(out, readdirSync(out).find((n) => n.startsWith("scenario_exp_") && !n.endsWith(".log"))!);
}, 60_000);

describe("--export json,csv,msgpack,prometheus,html", () => {
  test("writes every file in the seed's layout", () => {
    expect(run.code).toBe(0);
    expect(readdirSync(scenarioDir).sort()).toEqual(["benchmark_results.json", "metrics.prom", "raw.msgpack", "report.html", "requests.csv", "requests.jsonl"]);
    expect(readdirSync(out)).toContain("summary.csv");
    expect(readdirSync(join(out, "parsed")).some((n) => /^exp_\d{8}_\d{6}_standardized\.json$/.test(n))).toBe(true);
  });

  test("the CSV parses back to the JSON's numbers", () => {
    const doc = JSON.parse(readFileSync(join(scenarioDir, "benchmark_results.json"), "utf8"));
    const rows = Papa.parse<Record<string, string>>(readFileSync(join(scenarioDir, "requests.csv"), "utf8"), { header: true, skipEmptyLines: true }).data;
    expect(rows).toHaveLength(12);
    const ttfts = rows.map((r) => Number(r.ttft_ms)).sort((a, b) => a - b);
    const fromJson = (doc.ttfts as number[]).map((s) => s * 1000).sort((a, b) => a - b);
    ttfts.forEach((t, i) => expect(t).toBeCloseTo(fromJson[i]!, 5));
    const summary = Papa.parse<Record<string, string>>(readFileSync(join(out, "summary.csv"), "utf8"), { header: true, skipEmptyLines: true }).data;
    expect(Number(summary[0]!.mean_ttft_ms)).toBeCloseTo(doc.mean_ttft_ms, 5);
    expect(Number(summary[0]!.completed)).toBe(12);
  });

  test("the HTML report is one file with inline charts and no network references", () => {
    const html = readFileSync(join(scenarioDir, "report.html"), "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });

  test("vbench export re-renders json, csv and prometheus byte for byte", async () => {
    const again = join(tempDir(), "again");
    const r = await vbench(["export", join(scenarioDir, "raw.msgpack"), "--format", "json,csv,prometheus", "--out-dir", again]);
    expect(r.code).toBe(0);
    for (const file of ["benchmark_results.json", "requests.csv", "metrics.prom"]) {
      expect(readFileSync(join(again, file), "utf8")).toBe(readFileSync(join(scenarioDir, file), "utf8"));
    }
  });

  test("the Prometheus file passes promtool", () => {
    const check = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: Bun.file(join(scenarioDir, "metrics.prom")), stderr: "pipe", stdout: "pipe" });
    if (check.exitCode === null || (check.stderr.toString().includes("not found") && check.exitCode !== 0)) throw new Error("promtool missing: apt-get install prometheus");
    expect(check.stderr.toString() + check.stdout.toString()).toBe("");
    expect(check.exitCode).toBe(0);
  });
});
