/**
 * Who takes the CPU from the thread that stamps reads? `perf sched` of one
 * pinned run (the simulator on CPU 0, vbench on CPU 1, `--workers 0`), and
 * for the measured run only: every time the main thread was switched out
 * while still runnable, which thread got the CPU and how long the main
 * thread waited to get it back, per thread name.
 *
 *   npx bun bench/preemption.ts [--streams 1024] [--tokens-per-message 4] [--preset 4096]
 *
 * The run is bench/scale-wire.ts's (the same flags), pinned, without the capture.
 *
 * This is how the runtime's helper threads were found (docs/performance.md,
 * "Closing the gap"): run it against a build to see whether any thread of
 * the runtime or the machine still preempts the read loop. Needs root (or
 * perf_event_paranoid ≤ 0), perf and taskset; without them it says why and
 * exits 0.
 */
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BINARY, benchArgs, machineLoad, report, requireBinary, tempDir, writeScenario } from "./_lib.ts";
import { scaleScenario, scaleSpec, startScaleSimulator } from "./scale-wire.ts";

interface Preemption {
  /** CLOCK_MONOTONIC seconds the main thread was switched out, runnable. */
  atS: number;
  by: string;
  waitedMs: number;
}

/** From `perf script -F cpu,time,trace` of sched_switch: each preemption of thread `mainTid`. */
export function preemptionsOf(script: string, mainTid: number): Preemption[] {
  const out: Preemption[] = [];
  let pending: { atS: number; by: string } | null = null;
  for (const line of script.split("\n")) {
    const m = /\s([\d.]+): prev_comm=(.*?) prev_pid=(\d+) .*?prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)/.exec(line);
    if (!m) continue;
    const atS = Number(m[1]);
    if (Number(m[3]) === mainTid && m[4]!.startsWith("R")) pending = { atS, by: m[5]! };
    else if (Number(m[6]) === mainTid && pending) {
      out.push({ ...pending, waitedMs: (atS - pending.atS) * 1000 });
      pending = null;
    }
  }
  return out;
}

/**
 * The measured run's span on CLOCK_MONOTONIC, from requests.jsonl (wall clock) and the clocks' offset
 * now. /proc/uptime is that clock here (a VM does not suspend), to 10 ms: enough to cut out a run of
 * seconds (the runtime's hrtime counts from its own start, not the kernel's).
 */
function runWindowS(recordsPath: string): [number, number] {
  const uptimeS = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  const wallMinusMonoMs = Date.now() - uptimeS * 1000;
  let first = Infinity;
  let last = -Infinity;
  for (const line of readFileSync(recordsPath, "utf8").split("\n")) {
    if (!line) continue;
    const r = JSON.parse(line) as { sent_ms: number; sent_epoch_ms: number; done_ms: number };
    const t0 = r.sent_epoch_ms - r.sent_ms;
    first = Math.min(first, t0 + r.sent_ms);
    last = Math.max(last, t0 + r.done_ms);
  }
  return [(first - wallMinusMonoMs) / 1000, (last - wallMinusMonoMs) / 1000];
}

export async function benchPreemption(args = benchArgs()): Promise<string | null> {
  requireBinary();
  if (!Bun.which("perf") || !Bun.which("taskset")) return "needs perf and taskset";
  if (navigator.hardwareConcurrency < 2) return "needs 2 CPUs (simulator on CPU 0, client on CPU 1)";
  const spec = scaleSpec(args, true);
  const { streams, tokensPerMessage } = spec;
  const dir = tempDir("preemption");
  const mock = await startScaleSimulator(spec);
  try {
    const config = await writeScenario(dir, scaleScenario(spec));
    const data = join(dir, "sched.data");
    // CLOCK_MONOTONIC timestamps, so the measured run can be cut out with requests.jsonl's times.
    const cmd = ["perf", "sched", "record", "-q", "-k", "CLOCK_MONOTONIC", "-o", data, "--", "taskset", "-c", "1", BINARY, "run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out")];
    const proc = Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe", env: { ...process.env, VBENCH_WORKERS: "0" } });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) return `perf sched record failed (${code}): ${stderr.trim().split("\n").slice(-2).join(" ")}`;
    const script = Bun.spawnSync(["perf", "script", "-i", data, "-F", "cpu,time,trace"], { stdout: "pipe", stderr: "ignore" }).stdout.toString();
    const records = (readdirSync(join(dir, "out"), { recursive: true }) as string[]).find((f) => f.endsWith("requests.jsonl"));
    if (!records) return "the run wrote no requests.jsonl";
    // The run's main thread: the one named after the binary that switched most often.
    const name = BINARY.split("/").pop()!.slice(0, 15);
    const counts = new Map<number, number>();
    for (const m of script.matchAll(/prev_comm=(.*?) prev_pid=(\d+)/g)) if (m[1] === name) counts.set(Number(m[2]), (counts.get(Number(m[2])) ?? 0) + 1);
    const mainTid = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (mainTid === undefined) return `no thread named ${name} in the capture`;
    const [from, to] = runWindowS(join(dir, "out", records));
    const inRun = preemptionsOf(script, mainTid).filter((p) => p.atS >= from && p.atS <= to);
    const byThread = new Map<string, number[]>();
    for (const p of inRun) byThread.set(p.by, [...(byThread.get(p.by) ?? []), p.waitedMs]);
    const lines = [...byThread]
      .sort((a, b) => b[1].reduce((s, x) => s + x, 0) - a[1].reduce((s, x) => s + x, 0))
      .map(([by, waits]) => `${by.padEnd(18)} ${String(waits.length).padStart(5)} times, ${waits.reduce((s, x) => s + x, 0).toFixed(1).padStart(7)} ms in all, longest ${Math.max(...waits).toFixed(2)} ms, over 1 ms ${waits.filter((w) => w > 1).length}`);
    const total = inRun.reduce((s, p) => s + p.waitedMs, 0);
    report(
      `preemption of the main thread during the measured run (${streams} streams, ${tokensPerMessage} tokens/message, pinned, --workers 0; ${(to - from).toFixed(2)} s)`,
      [`${inRun.length} preemptions, ${total.toFixed(1)} ms in all; by the thread that got the CPU:`, ...lines.map((l) => `  ${l}`)],
      `perf sched record -k CLOCK_MONOTONIC -- taskset -c 1 ${BINARY.includes("dist/") ? "dist/vbench" : BINARY} run ... (VBENCH_WORKERS=0); simulator: taskset -c 0 vbench mock --tokens-per-chunk ${tokensPerMessage}`,
      machineLoad(),
    );
    return null;
  } finally {
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const skipped = await benchPreemption();
  if (skipped) console.log(`preemption: skipped (${skipped})`);
}
