/**
 * The HTML report: produced by the html exporter during a simulator run and
 * by `vbench report`, escaped, self-contained, and rendered by headless
 * Chromium without console messages (CI installs Debian's chromium).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runReportCommand } from "../../src/commands/report.ts";
import { loadRuns } from "../../src/analysis/load.ts";
import { renderHtmlReport } from "../../src/analysis/html.ts";
import { cdfPoints, concurrencyOverTime, throughputOverTime } from "../../src/analysis/timeseries.ts";
import { decodeRaw } from "../../src/results/raw-records.ts";
import type { ExportContext } from "../../src/base/plugin-types.ts";
import htmlExporter from "../../plugins/exporters/html.ts";
import { type SimRun, cleanup, scratchDir, simulate } from "./sim.ts";

afterAll(cleanup);

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));
let run: SimRun;
let reportPath: string;
/** Where the html exporter wrote, fed the run's raw records (as `vbench run` or `vbench export` would). */
let exportDir: string;

beforeAll(async () => {
  run = await simulate({ name: "html_demo", exporters: ["json", "msgpack"] });
  reportPath = join(scratchDir("vbench-report-"), "report.html");
  await runReportCommand(run.outputDir, { out: reportPath, stderr: () => undefined });
  const result = decodeRaw(readFileSync(join(run.scenarioDir, "raw.msgpack")));
  exportDir = scratchDir("vbench-html-export-");
  const ctx = (scenarioDir: string): ExportContext => ({ scenarioDir, outputDir: exportDir, parsedDir: join(exportDir, "parsed"), options: {}, log: () => undefined });
  await htmlExporter.preflight!(ctx(join(exportDir, "scenario")));
  await htmlExporter.write(result, ctx(join(exportDir, "scenario")));
  await htmlExporter.finish!([result], ctx(exportDir));
}, 60_000);

/** Headless Chromium: screenshot, DOM after rendering, and its log (console messages appear as ":CONSOLE" lines). */
async function chromium(file: string): Promise<{ dom: string; log: string; png: string }> {
  if (!CHROMIUM) throw new Error("chromium not found: install it (`apt-get install -y chromium`) to render the HTML report in this test");
  const dir = scratchDir("vbench-chromium-");
  const png = join(dir, "shot.png");
  const args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${join(dir, "profile")}`, "--enable-logging=stderr", "--v=0", "--dump-dom", `--screenshot=${png}`, "--window-size=1200,2000", `file://${file}`];
  const proc = Bun.spawn([CHROMIUM, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [dom, log] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { dom, log, png };
}

describe("HTML report", () => {
  test("the html exporter writes report.html per scenario and one combined report in OUTPUT_DIR", () => {
    const perScenario = join(exportDir, "scenario", "report.html");
    expect(existsSync(perScenario)).toBe(true);
    const combined = readdirSync(exportDir).filter((f) => /^report_\d{8}_\d{6}\.html$/.test(f));
    expect(combined).toHaveLength(1);
    for (const f of [perScenario, join(exportDir, combined[0]!)]) {
      const html = readFileSync(f, "utf8");
      expect(html).toContain("html_demo");
      expect(html.match(/<svg /g)!.length).toBe(6); // 4 CDFs, throughput, concurrency
    }
  });

  test("self-contained: no scripts, no external resources", () => {
    const html = readFileSync(reportPath, "utf8");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  test("every text from results is escaped", async () => {
    const { runs } = await loadRuns(run.outputDir, { warn: () => undefined, debug: () => undefined });
    const evil = { ...runs[0]!, scenario: `<script>alert("x")</script>`, model: `a&b"c'` };
    evil.requests = { ...evil.requests!, success: evil.requests!.success.map((s, i) => s && i !== 0), errors: evil.requests!.errors.map((e, i) => (i === 0 ? `http: <img src=x onerror=alert(1)>` : e)) };
    const html = renderHtmlReport([evil], { generatedAtIso: "2026-01-01T00:00:00Z" });
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("a&amp;b&quot;c&#39;");
    expect(html).toContain("http: &lt;img src=x onerror=alert(1)&gt;");
  });

  test("chart series follow the per-request data", async () => {
    const { runs } = await loadRuns(run.resultsPath, { warn: () => undefined, debug: () => undefined });
    const data = runs[0]!.requests!;
    const cdf = cdfPoints(data.ttftMs);
    expect(cdf[0]![1]).toBe(0);
    expect(cdf[cdf.length - 1]![1]).toBe(1);
    const { binS, points } = throughputOverTime(data);
    const tokens = points.reduce((a, p) => a + p[1] * binS, 0);
    expect(tokens).toBeCloseTo(runs[0]!.flat.total_output_tokens as number, 6);
    const conc = concurrencyOverTime(data);
    expect(Math.max(...conc.map((p) => p[1]))).toBe(runs[0]!.maxConcurrentRequests!);
    expect(conc[conc.length - 1]![1]).toBe(0);
  });

  test("renders in headless Chromium with its charts and no console messages", async () => {
    const { dom, log, png } = await chromium(reportPath);
    expect(log.split("\n").filter((l) => /:CONSOLE|Uncaught/.test(l))).toEqual([]);
    expect(dom.match(/<svg /g)?.length).toBe(6);
    expect(dom.match(/<path /g)!.length).toBeGreaterThanOrEqual(6);
    expect(dom).toContain("TTFT distribution (CDF)");
    expect(dom).toContain("Concurrent requests over time");
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    // A blank 1200×2000 page compresses to a few KB; charts with text and lines are far larger.
    expect(statSync(png).size).toBeGreaterThan(40_000);
  }, 90_000);
});
