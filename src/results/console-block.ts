/**
 * The console result block (spec/output.md), byte-compatible with vLLM's
 * `print("{:<40} {:<10}".format(...))` output so people can diff the two
 * tools, followed by vbench's extras, which never change the block.
 */
import { percentileKey } from "./stats.ts";
import type { MetricName, SeriesStats, Summary } from "../base/summary-types.ts";
import type { ResolvedScenario, ThresholdVerdict } from "../base/scenario-types.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";

const WIDTH = 50;

/** Python's `'{s:{c}^{n}}'.format(...)`: the odd padding character goes to the right. */
export function pyCenter(text: string, width: number, fill: string): string {
  const pad = width - text.length;
  if (pad <= 0) return text;
  const left = Math.floor(pad / 2);
  return fill.repeat(left) + text + fill.repeat(pad - left);
}

/**
 * Python's `'{:.Nf}'.format(x)`. JavaScript's toFixed agrees except on exact
 * decimal ties (0.125 → JS "0.13", Python "0.12"): Python rounds the exact
 * binary value half-to-even, JS half-up. A tie at N decimals means x·2^(N+1)
 * is an odd integer; then pick the even neighbour.
 */
export function pyFixed(x: number, digits = 2): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (Object.is(x, -0)) return `-${(0).toFixed(digits)}`;
  const twice = x * 2 ** (digits + 1); // exact: a power-of-two scale
  if (Number.isInteger(twice) && twice % 2 !== 0) {
    // x·10^N = twice·5^N / 2 exactly: an odd number of halves. BigInt keeps large x exact.
    const halves = BigInt(twice) * 5n ** BigInt(digits);
    const floor = (halves - 1n) / 2n; // exact division: halves − 1 is even
    return decimalFromScaled(floor % 2n === 0n ? floor : floor + 1n, digits, x < 0);
  }
  if (Math.abs(x) >= 1e21) return decimalFromScaled(BigInt(x) * 10n ** BigInt(digits), digits, x < 0);
  return x.toFixed(digits);
}

/** `scaled / 10^digits` as fixed-point text; `negative` keeps Python's "-0.00". */
function decimalFromScaled(scaled: bigint, digits: number, negative: boolean): string {
  const text = (scaled < 0n ? -scaled : scaled).toString().padStart(digits + 1, "0");
  const sign = scaled < 0n || (scaled === 0n && negative) ? "-" : "";
  return digits === 0 ? sign + text : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** `"{:<40} {:<10}".format(label, value)`. */
function row(label: string, value: string): string {
  return `${label.padEnd(40)} ${value.padEnd(10)}`;
}
const f2 = (x: number) => pyFixed(x, 2);

/** The console's event-loop lag figures (also the debug log's line for the main thread of a run on workers). */
export function loopLagText(loop: Summary["extras"]["eventLoopLagMs"]): string {
  return `p50 ${f2(loop.p50)}, p99 ${f2(loop.p99)}, max ${f2(loop.max)} (${loop.samples} samples)`;
}
const int = (x: number) => String(x);

const SECTIONS: Record<MetricName, { title: string; name: string }> = {
  ttft: { title: "Time to First Token", name: "TTFT" },
  tpot: { title: "Time per Output Token (excl. 1st token)", name: "TPOT" },
  itl: { title: "Inter-token Latency", name: "ITL" },
  e2el: { title: "End-to-end Latency", name: "E2EL" },
};

/** The result block, lines joined by "\n", without a trailing newline. */
export function formatResultBlock(summary: Summary, scenario: ResolvedScenario): string {
  const lines = [pyCenter(" Serving Benchmark Result ", WIDTH, "=")];
  lines.push(row("Successful requests:", int(summary.completed)));
  lines.push(row("Failed requests:", int(summary.failed)));
  if (scenario.maxConcurrency !== null) lines.push(row("Maximum request concurrency:", int(scenario.maxConcurrency)));
  if (Number.isFinite(scenario.requestRate)) lines.push(row("Request rate configured (RPS):", f2(scenario.requestRate)));
  lines.push(row("Benchmark duration (s):", f2(summary.durationS)));
  lines.push(row("Total input tokens:", int(summary.totalInputTokens)));
  lines.push(row("Total generated tokens:", int(summary.totalOutputTokens)));
  lines.push(row("Request throughput (req/s):", f2(summary.requestThroughput)));
  if (summary.requestGoodput !== null) lines.push(row("Request goodput (req/s):", f2(summary.requestGoodput)));
  lines.push(row("Output token throughput (tok/s):", f2(summary.outputThroughput)));
  lines.push(row("Peak output token throughput (tok/s):", f2(summary.maxOutputTokensPerS)));
  lines.push(row("Peak concurrent requests:", f2(summary.maxConcurrentRequests)));
  lines.push(row("Total Token throughput (tok/s):", f2(summary.totalTokenThroughput)));
  // vLLM prints the sections in its own fixed order, whatever order percentile_metrics lists.
  for (const metric of METRIC_NAMES) {
    const stats = summary.metrics[metric];
    if (!scenario.percentileMetrics.includes(metric) || stats === undefined) continue;
    const { title, name } = SECTIONS[metric];
    lines.push(pyCenter(title, WIDTH, "-"));
    lines.push(row(`Mean ${name} (ms):`, f2(stats.mean)));
    lines.push(row(`Median ${name} (ms):`, f2(stats.median)));
    for (const p of scenario.metricPercentiles) {
      // vLLM: str(int(p)) if int(p) == p else str(p); JS String() prints the same.
      lines.push(row(`P${String(p)} ${name} (ms):`, f2(stats.percentiles[percentileKey(p)] ?? 0)));
    }
  }
  lines.push("=".repeat(WIDTH));
  return lines.join("\n");
}

/**
 * Text from a server or the network, made safe for a terminal: escape
 * sequences removed, other control characters turned into spaces, whitespace
 * collapsed, at most `maxLength` characters.
 */
export function sanitizeForTerminal(text: string, maxLength = 200): string {
  const clean = text
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, "") // OSC (titles, hyperlinks)
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, "") // CSI (colours, cursor moves)
    .replace(/\x1b[@-_]?/g, "")
    .replace(/[\x00-\x1f\x7f-\x9f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 1)}…` : clean;
}

const stat3 = (s: SeriesStats) => `mean ${f2(s.mean)}, p50 ${f2(s.percentiles.p50 ?? s.median)}, p99 ${f2(s.percentiles.p99 ?? s.max)}, max ${f2(s.max)}`;

const signed = (x: number) => (x >= 0 ? `+${f2(x)}` : f2(x));

/** Up to 4 decimals, no trailing zeros; "n/a" for a value that could not be measured. */
function measure(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(4))) : "n/a";
}

/** vbench's extras, printed after the block; lines joined by "\n". */
export function formatExtras(summary: Summary, scenario: ResolvedScenario, verdicts: readonly ThresholdVerdict[]): string {
  const x = summary.extras;
  const lines = [pyCenter(" vbench extras ", WIDTH, "-")];
  const line = (label: string, value: string) => lines.push(`${label.padEnd(40)} ${value}`);
  // Without a concurrency limit no request waits for a slot: its queue time is its dispatch lag, printed below.
  if (scenario.maxConcurrency !== null) line("Client queue time (ms):", stat3(x.clientQueueMs));
  // At rate inf every request is due at t0: the lag is the burst's send time, not judged (client-metrics.ts).
  line("Dispatch lag (ms):", `${stat3(x.dispatchLagMs)}${x.configuredRateRps === "inf" ? " (rate inf: time to send the burst)" : ""}`);
  line("Send lag (ms):", stat3(x.sendLagMs));
  const configured = x.configuredRateRps === "inf" ? "inf" : f2(x.configuredRateRps);
  line("Request rate achieved (RPS):", `${x.achievedRateRps === null ? "n/a" : f2(x.achievedRateRps)} (configured ${configured})`);
  if (Number.isFinite(scenario.requestRate)) line("E2EL incl. queue (ms):", stat3(x.e2elInclQueueMs));
  line("Output token count source:", `server ${x.tokenSources.server}, tokenizer ${x.tokenSources.tokenizer}`);
  if (x.tokenSources.mismatchMeanAbs !== null) {
    line("Server vs tokenizer count:", `differs on ${x.tokenSources.mismatchCount} requests, mean |diff| ${f2(x.tokenSources.mismatchMeanAbs)} tokens`);
  }
  if (x.serverInputTokens) {
    const { total, requests, builtTotal } = x.serverInputTokens;
    line("Server input tokens:", `${total} (built ${builtTotal}; ${signed((total - builtTotal) / requests)} per request over ${requests} requests)`);
  }
  if (x.contentItlMs) {
    const c = x.contentItlMs;
    line("Content ITL (ms):", `${c.count > 0 ? stat3(c) : "n/a"} (${c.count} gaps; ${x.noTextMessages ?? 0} messages without text left out)`);
  }
  if (x.resent && x.resent.requests > 0) {
    const w = x.resent.waitMs;
    line("Re-sent requests:", `${x.resent.requests} (kept-alive connection closed before any response; re-send cost mean ${f2(w.mean)} ms, max ${f2(w.max)} ms, left out of TTFT and send lag)`);
  }
  line("Event-loop lag (ms):", loopLagText(x.eventLoopLagMs));
  line("Client CPU (s):", f2(x.clientCpuS));
  if (typeof x.stealMs === "number") line("Steal (ms):", `${x.stealMs.toFixed(0)} on the client's CPUs (the hypervisor's: timings across it are late by it)`);
  line("Drain (s):", f2(x.drainS));
  const counted = METRIC_NAMES.flatMap((m) => {
    const s = summary.metrics[m];
    return s === undefined ? [] : [`${m.toUpperCase()} ${s.count}${s.exact ? "" : " (approximate: HDR histogram)"}`];
  });
  if (counted.length > 0) line("Values per statistic:", counted.join(", "));
  if (x.prefixGroups) {
    const g = x.prefixGroups;
    line("Prefix groups, TTFT (ms):", `${g.groups} groups; first request of a group mean ${f2(g.firstTtftMs.mean)} (${g.firstTtftMs.count}), later ones mean ${f2(g.repeatTtftMs.mean)} (${g.repeatTtftMs.count})`);
  }
  for (const t of x.perTurn ?? []) {
    line(`Turn ${t.turn + 1} (ms):`, `TTFT mean ${f2(t.ttftMs.mean)}, median ${f2(t.ttftMs.median)}; E2EL mean ${f2(t.e2elMs.mean)} (${t.ttftMs.count} requests)`);
  }
  const short = x.shortOutputs;
  if (short && short.count > 0) {
    const reasons = Object.entries(short.byFinishReason).map(([reason, n]) => `${reason} ${n}`).join(", ");
    const smallest = short.minRatio === null ? "" : `; the shortest got ${pyFixed(short.minRatio * 100, 1)}% of its requested length`;
    lines.push(`!!! short outputs: ${short.count} of ${summary.completed} successful requests got fewer tokens than requested (finish_reason ${reasons})${smallest}`);
  }
  if (x.clientBound) {
    lines.push(`!!! client-bound: results not trustworthy (${x.clientBoundReason ?? "client lag above bound"})`);
  }
  if (summary.failed > 0) {
    const byCategory = Object.entries(summary.failures.byCategory).map(([c, n]) => `${c} ${n}`);
    line("Failures by category:", byCategory.join(", "));
    for (const f of summary.failures.samples) lines.push(`  #${f.index} ${f.category}: ${sanitizeForTerminal(f.message)}`);
  }
  if (verdicts.length > 0) {
    const failed = verdicts.filter((v) => !v.passed).length;
    line("Thresholds:", failed === 0 ? `all ${verdicts.length} passed` : `${failed} of ${verdicts.length} FAILED`);
    for (const v of verdicts) {
      lines.push(`  ${v.passed ? "PASS" : "FAIL"} ${v.key}: measured ${measure(v.measured)}, limit ${v.comparison} ${measure(v.limit)}`);
    }
  }
  lines.push("=".repeat(WIDTH));
  return lines.join("\n");
}
