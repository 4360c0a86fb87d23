/** The report block of bench/scale-wire.ts. */
import { ms, signed, type ClientDoc } from "./_lib.ts";
import type { Dist, ScaleComparison } from "./scale-compare.ts";
import type { ThreadCpu } from "./scale-probe.ts";
import { calibrationMisses, ITL_TOLERANCE_MS, TTFT_TOLERANCE_MS } from "../src/commands/calibrate-levels.ts";

/** One run of bench/scale-wire.ts. */
export interface ScaleSpec {
  /**
   * vbench, another vbench binary (`--vs-binary`), bench/floor-client.c (the machine's floor), bench/floor-client.ts (the
   * runtime's) or floor-client.ts --pipeline --release-clock (vbench's per-request path on one thread).
   */
  client: "vbench" | "other" | "floor" | "bun-floor" | "bun-pipeline";
  /** The other binary's path (client "other"); the simulator is always this build's. */
  otherBinary: string | null;
  streams: number;
  tokensPerMessage: number;
  prompts: number;
  warmups: number;
  inputTokens: number;
  outputTokens: number;
  ttftMs: number;
  itlMs: number;
  pin: boolean;
  workers: number | null;
  keep: boolean;
  /** Steady arrivals at this rate, req/s (`--steady`: calibrate's steady level); null: all at once (rate inf). */
  rate: number | null;
}

export interface ScaleResult {
  spec: ScaleSpec;
  comparison: ScaleComparison;
  requests: number;
  /** TCP segments the capture saw twice (the receiver dropped the first copy: its socket backlog was full). */
  retransmissions: number;
  /** Client's send stamps of the first max_concurrency requests (all released at t0): last − first. */
  firstWaveSendSpanMs: number;
  failed: number;
  /** vbench's own figures (benchmark_results.json `vbench.client`); null for the floor client. */
  client: ClientDoc | null;
  /** A floor client's event-loop stall probe (vbench's is in `client`). */
  floorProbeMs: Dist | null;
  /** The client's CPU during the measured run (s). */
  clientCpuS: number;
  /** CPU of the whole client process, start-up and warm-ups included (s). */
  processCpuS: number;
  involuntarySwitches: number;
  threadCpu: ThreadCpu[];
  /** Whether VBENCH_WORKERS was honoured; null when not asked. */
  workers: string | null;
  command: string;
  load: string;
  /**
   * Steal time per CPU (/proc/stat) while the client ran, start-up and warm-ups included: the hypervisor
   * running something else while the vCPU had work. Empty per-CPU list where the guest does not report it.
   */
  steal: { perCpuMs: number[]; overS: number };
  /** The kept directory (--keep), else null. */
  kept: string | null;
  /** Which round of --rounds it was (runs of one round and mode are paired against each other). */
  round: number;
}

const d = (x: Dist, digits = 2) => `p50 ${ms(x.p50, digits)}, p99 ${ms(x.p99, digits)}, max ${ms(x.max, digits)}`;
const us = (s: number, n: number) => `${((s * 1e6) / n).toFixed(1)} µs`;

export function formatScale(r: ScaleResult): string[] {
  const x = r.comparison;
  const c = r.client;
  const threads = r.threadCpu
    .filter((t) => t.cpuS >= 0.05)
    .map((t) => `${t.name}${t.threads > 1 ? `×${t.threads}` : ""} ${t.cpuS.toFixed(2)} s${t.threads > 1 ? ` (${t.eachS.map((x) => x.toFixed(2)).join(", ")})` : ""}`);
  return [
    `${r.requests} requests (${r.failed} failed), ${x.matched} matched on the wire${x.missing ? `, ${x.missing} not seen` : ""}${x.messageCountMismatch ? `, ${x.messageCountMismatch} with another message count` : ""}; ${x.messages} token messages; ${r.retransmissions} TCP retransmissions on lo${r.retransmissions ? " (a socket backlog overflowed: counted at the first copy)" : ""}`,
    `client − wire: mean TTFT ${signed(x.clientTtftMs.mean - x.wireTtftMs.mean)} ms (${ms(x.clientTtftMs.mean)} vs ${ms(x.wireTtftMs.mean)}), ` +
      `p99 TTFT ${signed(x.clientTtftMs.p99 - x.wireTtftMs.p99)} ms (${ms(x.clientTtftMs.p99)} vs ${ms(x.wireTtftMs.p99)}), ` +
      `p99 ITL ${signed(x.clientItlMs.p99 - x.wireItlMs.p99)} ms (${ms(x.clientItlMs.p99)} vs ${ms(x.wireItlMs.p99)}; message gaps, mean ${signed(x.clientItlMs.mean - x.wireItlMs.mean, 3)} ms)`,
    `per request TTFT error: mean ${signed(x.ttftErrorMs.mean)}, p50 ${signed(x.ttftErrorMs.p50)}, p99 ${signed(x.ttftErrorMs.p99)}, max ${signed(x.ttftErrorMs.max)} ms`,
    r.spec.rate === null
      ? `first wave: ${r.spec.streams} requests released at once, sent over ${ms(r.firstWaveSendSpanMs)} (${us(r.firstWaveSendSpanMs / 1000, r.spec.streams)} each, client send stamps)`
      : `steady arrivals: ${r.spec.rate} req/s, evenly spaced, under max_concurrency ${r.spec.streams} (calibrate's steady level)`,
    `send lag (request's last byte on the wire − client's send stamp): ${d(x.sendLagMs, 3)}${c ? `; vbench's own send_lag_ms p99 ${ms(c.send_lag_ms.percentiles.p99 ?? NaN, 3)}` : ""}`,
    `clocks aligned: client wall-clock times shifted by ${signed(x.clockShiftMs, 3)} ms so the quickest message read is 0 (send and receive lags only); send lag min ${ms(x.sendLagMs.min, 3)}`,
    `first-token receive lag (client stamp − first token packet): mean ${ms(x.firstTokenReceiveLagMs.mean, 3)}, ${d(x.firstTokenReceiveLagMs, 3)}`,
    `every message's receive lag (the stall as reads saw it, ${x.messageReceiveLagMs.count} messages): ${d(x.messageReceiveLagMs, 3)}; over 1 ms: ${((100 * x.messageReceiveLagMs.over1Ms) / Math.max(1, x.messageReceiveLagMs.count)).toFixed(2)}%`,
    `worst 100 ms windows of message receive lag (s from the first request on the wire of ${(r.spec.prompts / r.spec.streams).toFixed(0)} waves of ~${(((r.spec.ttftMs + (r.spec.outputTokens - 1) * r.spec.itlMs) / 1000)).toFixed(1)} s): ` +
      x.worstWindows.map((w) => `${w.fromS.toFixed(1)} s max ${ms(w.maxLagMs)}`).join(", "),
    ...(c ? vbenchOwn(c) : []),
    ...(r.floorProbeMs ? [`event-loop stall probe (20 ms timer as vbench's, ${r.floorProbeMs.count} samples): ${d(r.floorProbeMs, 3)}`] : []),
    `client CPU during the run ${r.clientCpuS.toFixed(2)} s: ${us(r.clientCpuS, x.messages)} per stream message, ${us(r.clientCpuS, r.requests)} per request (all of it divided by each); ` +
      `whole process ${r.processCpuS.toFixed(2)} s, ${r.involuntarySwitches} involuntary context switches`,
    ...(threads.length ? [`client threads by CPU (each in the order started): ${threads.join(", ")}`] : []),
    ...(r.steal.perCpuMs.length ? [formatSteal(r)] : []),
    formatTargets(r),
    ...(r.spec.rate !== null ? [formatCalibrateCriterion(r)] : []),
    ...(r.workers !== null ? [`workers: ${r.workers}`] : []),
    ...(c?.client_bound ? [`flagged client-bound: ${c.client_bound_reason}`] : []),
    ...(r.kept ? [`kept: ${r.kept}`] : []),
  ];
}

/** Steal on the client's CPU (CPU 1 pinned; every CPU unpinned), in ms. */
const clientSteal = (r: ScaleResult) => (r.spec.pin ? (r.steal.perCpuMs[1] ?? NaN) : r.steal.perCpuMs.reduce((a, b) => a + b, 0));

function formatSteal(r: ScaleResult): string {
  const perCpu = r.steal.perCpuMs.map((x, cpu) => `CPU ${cpu} ${x.toFixed(0)} ms`).join(", ");
  const share = r.spec.pin ? `; on the client's CPU ${((clientSteal(r) / 10) / r.steal.overS).toFixed(1)}% of the time` : "";
  return `steal while the client ran (${r.steal.overS.toFixed(1)} s, /proc/stat: the vCPU not running while it had work): ${perCpu}${share}`;
}

/** What vbench says of itself (the floor client has none of it). */
function vbenchOwn(c: ClientDoc): string[] {
  const loop = c.event_loop_lag_ms;
  return [
    `event-loop stall probe (20 ms timer, ${loop.samples} samples): p50 ${ms(loop.p50, 3)}, p99 ${ms(loop.p99, 3)}, max ${ms(loop.max, 3)}; dispatch lag p99 ${ms(c.dispatch_lag_ms.percentiles.p99 ?? NaN, 3)}`,
    ...(c.read_stalls ? [`read callbacks over 1 ms: ${c.read_stalls.over_1ms} of ${c.read_stalls.reads} (${((1e6 * c.read_stalls.over_1ms) / Math.max(1, c.read_stalls.reads)).toFixed(0)} per million), over 5 ms: ${c.read_stalls.over_5ms}, longest ${ms(c.read_stalls.max_ms, 3)} (vbench's own read_stalls)`] : []),
  ];
}

const range = (values: number[], digits = 2, sign = true) => {
  const f = (x: number) => (sign ? signed(x, digits) : x.toFixed(digits));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? f(lo) : `${f(lo)}..${f(hi)}`;
};

/** The three headline errors (client − wire), named as the summary prints them. */
const ERRORS: [string, (r: ScaleResult) => number][] = [
  ["mean TTFT", (r) => r.comparison.clientTtftMs.mean - r.comparison.wireTtftMs.mean],
  ["p99 TTFT", (r) => r.comparison.clientTtftMs.p99 - r.comparison.wireTtftMs.p99],
  ["p99 ITL", (r) => r.comparison.clientItlMs.p99 - r.comparison.wireItlMs.p99],
];
/** The probe of any client: vbench's own, or the floor client's run of the same probe. */
const probeP99 = (r: ScaleResult) => r.client?.event_loop_lag_ms.p99 ?? r.floorProbeMs?.p99 ?? NaN;

/**
 * Issue #17's bounds for one run: client − wire within 1 ms on the three figures and the probe's p99
 * under 1 ms at 1024 streams; within 2 ms from 4096 streams up. Returns what missed (empty: all met).
 */
export function targetMisses(r: ScaleResult): string[] {
  const bound = r.spec.streams >= 4096 ? 2 : 1;
  const misses = ERRORS.filter(([, f]) => !(Math.abs(f(r)) <= bound)).map(([name, f]) => `${name} ${signed(f(r))} ms`);
  if (bound === 1 && !(probeP99(r) < 1)) misses.push(`probe p99 ${ms(probeP99(r))}`);
  return misses;
}

function formatTargets(r: ScaleResult): string {
  const misses = targetMisses(r);
  const bounds = r.spec.streams >= 4096 ? "within 2 ms" : "within 1 ms, probe p99 under 1 ms";
  return `issue #17's bounds (${bounds}): ${misses.length === 0 ? "met" : `missed: ${misses.join(", ")}`}`;
}

/** `vbench calibrate`'s criterion (its own calibrationMisses) for a run against the wire: what missed, named with its error. */
export function calibrateMisses(r: ScaleResult): string[] {
  const x = r.comparison;
  const errors = { failed: r.failed, unmatched: x.missing, meanTtftErrorMs: ERRORS[0]![1](r), meanItlErrorMs: x.clientItlMs.mean - x.wireItlMs.mean };
  const misses = calibrationMisses(errors);
  return [
    ...(misses.includes("mean TTFT") ? [`mean TTFT ${signed(errors.meanTtftErrorMs, 3)} ms`] : []),
    ...(misses.includes("mean ITL") ? [`mean ITL ${signed(errors.meanItlErrorMs, 3)} ms`] : []),
    ...(misses.includes("requests") ? [`${r.failed} failed, ${x.missing} not seen on the wire`] : []),
  ];
}

function formatCalibrateCriterion(r: ScaleResult): string {
  const misses = calibrateMisses(r);
  return `calibrate's criterion (mean TTFT within ${TTFT_TOLERANCE_MS} ms, mean ITL within ${ITL_TOLERANCE_MS} ms of the wire): ${misses.length === 0 ? "within" : `outside: ${misses.join(", ")}`}`;
}

const cpuPerMessageUs = (r: ScaleResult) => (r.clientCpuS * 1e6) / r.comparison.messages;

/**
 * vbench minus the C floor client of the same round and mode, per figure: the VM's speed drifts between
 * rounds (docs/performance.md, "The floor"), so a paired difference says more than two ranges.
 */
function pairedWithFloor(results: ScaleResult[]): string[] {
  const lines: string[] = [];
  for (const pin of [false, true]) {
    const pairs = results
      .filter((r) => r.spec.client === "vbench" && r.spec.pin === pin)
      .map((v) => [v, results.find((f) => f.spec.client === "floor" && f.spec.pin === pin && f.round === v.round)] as const)
      .filter((p): p is readonly [ScaleResult, ScaleResult] => p[1] !== undefined);
    if (pairs.length === 0) continue;
    const errors = ERRORS.map(([name, f]) => `${name} error ${range(pairs.map(([v, c]) => f(v) - f(c)))} ms`).join(", ");
    const ratio = range(pairs.map(([v, c]) => cpuPerMessageUs(v) / cpuPerMessageUs(c)), 2, false);
    lines.push(`vbench − C floor, same round, ${pin ? "pinned" : "unpinned"} (${pairs.length} pairs): ${errors}; CPU per message ×${ratio}`);
  }
  return lines;
}

/**
 * A round is quiet, for one mode, when the C floor client of that round read within these of the wire:
 * in a noisy spell the VM loses its CPU for tens of ms and every client's figures swing with it
 * (docs/performance.md, "Closing the gap"), so ranges over the quiet rounds alone compare builds.
 */
const QUIET_FLOOR_MEAN_TTFT_MS = 0.5;
const QUIET_FLOOR_P99_ITL_MS = 2;

function quietOnly(results: ScaleResult[]): string[] {
  const lines: string[] = [];
  for (const pin of [false, true]) {
    const runs = results.filter((r) => r.spec.client === "vbench" && r.spec.pin === pin);
    const quiet = runs.filter((v) => {
      const floor = results.find((f) => f.spec.client === "floor" && f.spec.pin === pin && f.round === v.round);
      return floor !== undefined && ERRORS[0]![1](floor) <= QUIET_FLOOR_MEAN_TTFT_MS && ERRORS[2]![1](floor) <= QUIET_FLOOR_P99_ITL_MS;
    });
    if (quiet.length === 0 || quiet.length === runs.length) continue;
    const errors = ERRORS.map(([name, f]) => `${name} ${range(quiet.map(f))} ms`).join(", ");
    lines.push(`vbench, ${pin ? "pinned" : "unpinned"}, quiet rounds only (${quiet.length} of ${runs.length}: the C floor within ${QUIET_FLOOR_MEAN_TTFT_MS} ms mean TTFT and ${QUIET_FLOOR_P99_ITL_MS} ms p99 ITL): client − wire ${errors}`);
  }
  return lines;
}

/** Per client and mode (pinned or not), the range of each headline figure over several runs. */
export function formatRanges(results: ScaleResult[]): string[] {
  const lines: string[] = [];
  for (const client of ["vbench", "other", "floor", "bun-floor", "bun-pipeline"] as const) {
    for (const pin of [false, true]) {
      const rs = results.filter((r) => r.spec.pin === pin && r.spec.client === client);
      if (rs.length === 0) continue;
      const of = (f: (r: ScaleResult) => number, digits = 2, sign = true) => range(rs.map(f), digits, sign);
      const own = rs.map((r) => r.client).filter((c): c is ClientDoc => c !== null);
      const ofOwn = (f: (c: ClientDoc) => number, digits = 2) => range(own.map(f), digits, false);
      lines.push(
        `${{ vbench: "vbench", other: `vbench at ${rs[0]!.spec.otherBinary}`, floor: "C floor client", "bun-floor": "Bun floor client", "bun-pipeline": "Bun floor loop with vbench's pipeline" }[client]}, ${pin ? "pinned" : "unpinned"} (${rs.length} runs): client − wire ${ERRORS.map(([name, f]) => `${name} ${of(f)} ms`).join(", ")}; ` +
          `message receive lag p99 ${of((r) => r.comparison.messageReceiveLagMs.p99, 2, false)} ms, max ${of((r) => r.comparison.messageReceiveLagMs.max, 2, false)} ms; ` +
          (rs.every((r) => r.spec.rate === null) ? `first wave ${of((r) => r.firstWaveSendSpanMs, 1, false)} ms; ` : "") +
          (own.length && own.every((c) => c.read_stalls) ? `read callbacks over 1 ms ${ofOwn((c) => c.read_stalls!.over_1ms, 0)}, longest ${ofOwn((c) => c.read_stalls!.max_ms)} ms; ` : "") +
          (own.length ? `event-loop probe p99 ${ofOwn((c) => c.event_loop_lag_ms.p99)} ms, max ${ofOwn((c) => c.event_loop_lag_ms.max)} ms; ` : "") +
          (rs.every((r) => r.floorProbeMs) ? `event-loop probe p99 ${of((r) => r.floorProbeMs!.p99, 2, false)} ms, max ${of((r) => r.floorProbeMs!.max, 2, false)} ms; ` : "") +
          `issue #17's bounds met in ${rs.filter((r) => targetMisses(r).length === 0).length} of ${rs.length}; ` +
          (rs.every((r) => r.spec.rate !== null) ? `calibrate's criterion met in ${rs.filter((r) => calibrateMisses(r).length === 0).length} of ${rs.length}; ` : "") +
          `CPU per message ${of(cpuPerMessageUs, 1, false)} µs; ` +
          (rs.every((r) => r.steal.perCpuMs.length) ? `steal on the client's CPU${pin ? "" : "s"} ${of(clientSteal, 0, false)} ms; ` : "") +
          `load ${of((r) => Number(/load ([\d.]+)/.exec(r.load)?.[1] ?? NaN), 2, false)}`,
      );
    }
  }
  return [...lines, ...pairedWithFloor(results), ...quietOnly(results)];
}
