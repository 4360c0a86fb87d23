/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script,
 * no network) with, per concurrency or rate sweep, its curve (output tok/s
 * against p99 TTFT, one point per level) and, per scenario and sweep point,
 * a table comparing its runs, the latency
 * CDFs (TTFT, TPOT, ITL, E2EL), output throughput and concurrency over time
 * for the newest runs, threshold verdicts and the errors seen. Every text
 * taken from results is escaped.
 */
import { METRIC_NAMES, type MetricName } from "../base/summary-types.ts";
import { groupRuns } from "./load.ts";
import { metricValuesMs } from "./per-request.ts";
import { metricLabel } from "./summary.ts";
import { escapeHtml as esc, lineChart, PALETTE } from "./svg.ts";
import { cdfPoints, concurrencyOverTime, hasTimeline, throughputOverTime } from "./timeseries.ts";
import { findSweeps, SWEEP_COLUMNS, type Sweep } from "./sweeps.ts";
import { runValue } from "./run-value.ts";
import type { LoadedRun, RunGroup } from "./types.ts";

/** Runs drawn in the charts of one scenario (the newest); the table lists them all. */
export const MAX_CHART_RUNS = 6;

export interface HtmlReportOptions {
  title?: string;
  generatedAtIso: string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#f6f7f9}
h1{margin:0 0 4px;font-size:24px}h2{margin:0 0 8px;font-size:19px}h3{margin:18px 0 6px;font-size:15px}
.meta{color:#555;margin:0 0 16px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:16px 20px;margin:0 0 24px}
table{border-collapse:collapse;font-size:12px;margin:4px 0}.wrap{overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid #e6e8eb;padding:4px 6px;text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600}td.l,th.l{text-align:left}
.pass{color:#0a7a2f;font-weight:600}.fail{color:#b3261e;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin-top:12px}
svg.chart{border:1px solid #e6e8eb;border-radius:6px;background:#fff}
svg .title{font-size:14px;font-weight:600;fill:#1d1d1f}svg .tick{font-size:11px;fill:#555}
svg .axis{font-size:12px;fill:#333}svg .legend{font-size:11px;fill:#333}svg .empty{font-size:13px;fill:#888}
svg .grid{stroke:#eceef1;stroke-width:1}svg .frame{fill:none;stroke:#c8ccd2}
.note{color:#666;font-size:12px}code{background:#f0f2f5;padding:1px 4px;border-radius:3px}
nav a{margin-right:12px}
`;

/** A number for a report cell: fixed decimals, "–" when missing or not finite. */
function fixedOrDash(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

function runLabel(run: LoadedRun): string {
  return run.timestamp ? run.timestamp.replace("T", " ").replace(/\.\d+Z$/, "Z") : run.sourcePath.replace(/^.*\/(.*\/)?/, "$1");
}

function thresholdCell(run: LoadedRun): string {
  if (run.thresholds.length === 0) return `<td class="l">–</td>`;
  const failed = run.thresholds.filter((v) => !v.passed);
  return failed.length === 0
    ? `<td class="l pass">${run.thresholds.length}/${run.thresholds.length} passed</td>`
    : `<td class="l fail">FAIL ${esc(failed.map((v) => v.key).join(", "))}</td>`;
}

function runsTable(group: RunGroup): string {
  const head = ["run", "ok", "failed", "success", "duration s", "req/s", "out tok/s", "TTFT med", "TTFT p99", "TPOT med", "ITL med", "E2EL med", "E2EL p99", "thresholds"];
  const rows = group.runs.map((run, i) => {
    const color = i >= group.runs.length - MAX_CHART_RUNS ? PALETTE[(i - Math.max(0, group.runs.length - MAX_CHART_RUNS)) % PALETTE.length] : "transparent";
    const stat = (k: MetricName, p: string) => (p === "median" ? (run.metrics[k]?.median ?? null) : (run.metrics[k]?.percentiles[p] ?? null));
    return `<tr><td class="l"><span style="display:inline-block;width:10px;height:10px;background:${color};margin-right:6px"></span><span title="${esc(`${run.kind}: ${run.sourcePath}`)}">${esc(runLabel(run))}</span></td><td>${run.completed}</td><td>${run.failed}</td><td>${fixedOrDash(run.successRate * 100, 1)}%</td><td>${fixedOrDash(run.durationS)}</td><td>${fixedOrDash(run.requestThroughput)}</td><td>${fixedOrDash(run.outputThroughput)}</td><td>${fixedOrDash(stat("ttft", "median"))}</td><td>${fixedOrDash(stat("ttft", "p99"))}</td><td>${fixedOrDash(stat("tpot", "median"))}</td><td>${fixedOrDash(stat("itl", "median"))}</td><td>${fixedOrDash(stat("e2el", "median"))}</td><td>${fixedOrDash(stat("e2el", "p99"))}</td>${thresholdCell(run)}</tr>`;
  });
  return `<div class="wrap"><table><thead><tr>${head.map((h, i) => `<th class="${i === 0 ? "l" : ""}">${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div><p class="note">Latencies in ms. Hover a run for its file.</p>`;
}


function charts(group: RunGroup): string {
  const drawn = group.runs.slice(-MAX_CHART_RUNS).filter((r) => r.requests);
  if (drawn.length === 0) return `<p class="note">No per-request data in these results (summary-only files): no distributions to draw.</p>`;
  const out: string[] = [];
  for (const m of METRIC_NAMES) {
    if (!drawn.some((r) => r.metrics[m])) continue;
    const series = drawn.map((r) => ({ name: runLabel(r), points: cdfPoints(metricValuesMs(r.requests!, m)) }));
    out.push(lineChart({ title: `${metricLabel(m)} distribution (CDF)`, xLabel: `${metricLabel(m)} (ms)`, yLabel: "fraction of values ≤ x", series, step: true, yRange: [0, 1] }));
  }
  const timed = drawn.filter((r) => hasTimeline(r.requests!));
  if (timed.length > 0) {
    const tp = timed.map((r) => ({ name: runLabel(r), tp: throughputOverTime(r.requests!) }));
    out.push(lineChart({ title: `Output throughput over time (${fixedOrDash(tp[0]!.tp.binS, 2)} s bins)`, xLabel: "time since first request (s)", yLabel: "output tokens/s", series: tp.map((t) => ({ name: t.name, points: t.tp.points })), step: true, yFromZero: true }));
    out.push(lineChart({ title: "Concurrent requests over time", xLabel: "time since first request (s)", yLabel: "requests in flight", series: timed.map((r) => ({ name: runLabel(r), points: concurrencyOverTime(r.requests!) })), step: true, yFromZero: true }));
  } else out.push(`<p class="note">No send times (start_times) in these results: no time charts.</p>`);
  return `<div class="charts">${out.join("")}</div>`;
}

function thresholdsAndErrors(group: RunGroup): string {
  const latest = group.runs[group.runs.length - 1]!;
  const parts: string[] = [];
  if (latest.thresholds.length > 0) {
    const rows = latest.thresholds.map((v) => `<tr><td class="l">${esc(v.key)}</td><td>${v.comparison === "<=" ? "≤" : "≥"} ${esc(String(v.limit))}</td><td>${fixedOrDash(v.measured, 3)}</td><td class="l ${v.passed ? "pass" : "fail"}">${v.passed ? "pass" : "FAIL"}</td></tr>`);
    parts.push(`<h3>Thresholds of the newest run</h3><table><thead><tr><th class="l">threshold</th><th>limit</th><th>measured</th><th class="l">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
  }
  const counts = new Map<string, number>();
  for (const e of latest.requests?.errors ?? []) if (e) counts.set(e, (counts.get(e) ?? 0) + 1);
  if (counts.size > 0) {
    const rows = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([e, n]) => `<tr><td>${n}</td><td class="l">${esc(e.length > 300 ? `${e.slice(0, 300)}…` : e)}</td></tr>`);
    parts.push(`<h3>Errors in the newest run</h3><table><thead><tr><th>requests</th><th class="l">error</th></tr></thead><tbody>${rows.join("")}</tbody></table>`);
  }
  return parts.join("");
}

/**
 * A sweep as one curve: output tok/s (y) against p99 TTFT (x), one marker per
 * level in level order, and the points' statistics in a table.
 */
function sweepSection(sweep: Sweep, id: string): string {
  const kind = sweep.parameter === "max_concurrency" ? "concurrency" : "request-rate";
  const level = (v: number) => (Number.isFinite(v) ? String(v) : "inf");
  const drawn = sweep.points.filter((p) => runValue(p.member, "ttft_p99") !== null && p.member.outputThroughput !== null);
  const chart = lineChart({
    title: "Output tok/s against p99 TTFT, one point per level",
    xLabel: "p99 TTFT (ms)",
    yLabel: "output tokens/s",
    series: [{ name: sweep.label, points: drawn.map((p) => [runValue(p.member, "ttft_p99")!, p.member.outputThroughput!]), pointLabels: drawn.map((p) => `${sweep.parameter === "max_concurrency" ? "c" : "r"}${level(p.value)}`) }],
    markers: true,
    xFromZero: true,
    yFromZero: true,
  });
  const head = [sweep.parameter, ...SWEEP_COLUMNS.map((c) => c.label)];
  const rows = sweep.points.map((p) => `<tr><td>${level(p.value)}</td>${SWEEP_COLUMNS.map((c) => `<td>${fixedOrDash(runValue(p.member, c.key), c.digits)}</td>`).join("")}</tr>`);
  const table = `<div class="wrap"><table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div><p class="note">Latencies in ms; each level's own section below has its distributions.</p>`;
  return `<section class="sweep" id="${id}"><h2>${esc(sweep.label)}: ${kind} sweep <span class="note">${sweep.points.length} points · run ${esc(sweep.runId)}</span></h2>${table}<div class="charts">${chart}</div></section>`;
}

/** The whole report as one HTML document. */
export function renderHtmlReport(runs: LoadedRun[], opts: HtmlReportOptions): string {
  const title = opts.title ?? "vbench report";
  const groups = groupRuns(runs);
  const found = findSweeps(runs);
  const links = [...found.map((sw, i) => `<a href="#w${i}">${esc(sw.label)} (sweep)</a>`), ...groups.map((g, i) => `<a href="#s${i}">${esc(g.scenario)}</a>`)];
  const nav = links.length > 1 ? `<nav>${links.join("")}</nav>` : "";
  const sweeps = found.map((sw, i) => sweepSection(sw, `w${i}`));
  const sections = groups.map((g, i) => {
    const head = `${esc(g.scenario)} <span class="note">model ${esc(g.model ?? "?")} · backend ${esc(g.backend ?? "?")} · ${g.runs.length} run${g.runs.length === 1 ? "" : "s"}</span>`;
    return `<section id="s${i}"><h2>${head}</h2>${runsTable(g)}${charts(g)}${thresholdsAndErrors(g)}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><p class="meta">${runs.length} run${runs.length === 1 ? "" : "s"} of ${groups.length} scenario${groups.length === 1 ? "" : "s"} · generated ${esc(opts.generatedAtIso)} by vbench</p>${nav}
${[...sweeps, ...sections].join("\n")}
</body></html>
`;
}
