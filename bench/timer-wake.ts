/**
 * The machine's own timer floor under vbench's event-loop probe: how late a
 * 20 ms timer wakes a thread on a CPU that has nothing else to do, against
 * the same CPU kept busy by a spinner at SCHED_IDLE (which yields it at once
 * to anything else). On a virtual machine an idle vCPU halts, and waking it
 * is the hypervisor's business; a busy one takes its timer interrupt at once.
 *
 *   npx bun bench/timer-wake.ts [--seconds 10] [--cpu 1]
 *
 * Four cases, each pinned to one CPU: a C thread sleeping to absolute
 * deadlines (bench/timer-wake.c), and vbench's own probe
 * (src/engine/client-monitor.ts, a 20 ms interval in a Bun process), each
 * alone and beside the spinner. Prints p50/p99/max lateness and the wake-ups
 * over 1 ms. Needs cc and taskset (chrt for the spinner's SCHED_IDLE).
 */
import { startClientMonitor } from "../src/engine/client-monitor.ts";
import { benchArgs, buildCHelper, machineLoad, report } from "./_lib.ts";
import { stealMsPerCpu, stealSincePerCpu } from "../src/base/steal.ts";
import { dist } from "./scale-compare.ts";

const PROBE_CHILD = "--probe-child";

/**
 * Child mode: vbench's probe in an otherwise idle Bun process, its samples one per line. A first
 * probe runs 2 s and is dropped: its callback is compiled on a JIT thread ~1 s in, which on one
 * CPU delays the wake-ups then by 1–1.4 ms (vbench's warm-ups do the same before a measured run).
 */
async function probeChild(seconds: number): Promise<void> {
  const warmUp = startClientMonitor();
  await Bun.sleep(2000);
  warmUp.stop();
  const monitor = startClientMonitor();
  await Bun.sleep(seconds * 1000);
  for (const late of monitor.stop().eventLoopLagMs) console.log(late.toFixed(4));
}

interface Case {
  label: string;
  lateMs: number[];
  /** Steal time of the CPU while the case ran (/proc/stat), NaN where the guest does not report it. */
  stealMs: number;
}

function summary(c: Case): string {
  const d = dist(c.lateMs);
  return `${c.label.padEnd(38)} p50 ${d.p50.toFixed(3)} ms, p99 ${d.p99.toFixed(3)} ms, max ${d.max.toFixed(3)} ms, over 1 ms ${d.over1Ms} of ${d.count}${Number.isNaN(c.stealMs) ? "" : `; steal ${c.stealMs.toFixed(0)} ms`}`;
}

async function measure(label: string, command: string[], cpu: string, spin: string[] | null): Promise<Case> {
  const spinner = spin ? Bun.spawn(["taskset", "-c", cpu, "chrt", "-i", "0", ...spin], { stdout: "ignore", stderr: "ignore" }) : null;
  try {
    const stealBefore = stealMsPerCpu();
    const child = Bun.spawn(["taskset", "-c", cpu, ...command], { stdout: "pipe", stderr: "inherit" });
    const out = await new Response(child.stdout).text();
    if ((await child.exited) !== 0) throw new Error(`${label}: ${command.join(" ")} failed`);
    return { label, lateMs: out.trim().split("\n").map(Number), stealMs: stealSincePerCpu(stealBefore)[Number(cpu)] ?? NaN };
  } finally {
    spinner?.kill();
    await spinner?.exited;
  }
}

async function main(): Promise<void> {
  const args = benchArgs();
  const seconds = Number(args.get("seconds") ?? 10);
  if (process.argv.includes(PROBE_CHILD)) return probeChild(seconds);
  const cpu = args.get("cpu") ?? (navigator.hardwareConcurrency > 1 ? "1" : "0");
  const helper = buildCHelper("timer-wake", "bench/timer-wake.ts");
  const missing = ["taskset", "chrt"].filter((tool) => !Bun.which(tool));
  if (typeof helper === "string" || missing.length > 0) {
    console.log(`\n## timer wake-up lateness: skipped (${typeof helper === "string" ? helper : `needs ${missing.join(" and ")} (util-linux)`})`);
    return;
  }
  const load = machineLoad();
  const wakes = String(Math.round((seconds * 1000) / 20));
  const probe = [process.execPath, import.meta.path, PROBE_CHILD, "--seconds", String(seconds)];
  const spin = [...helper, "spin"];
  const cases: Case[] = [];
  for (const [label, command, spinner] of [
    ["C sleeper, CPU idle", [...helper, "wake", wakes], null],
    ["C sleeper, CPU kept busy", [...helper, "wake", wakes], spin],
    ["vbench's probe (Bun), CPU idle", probe, null],
    ["vbench's probe (Bun), CPU kept busy", probe, spin],
  ] as const) {
    cases.push(await measure(label, [...command], cpu, spinner ? [...spinner] : null));
  }
  report(`timer wake-up lateness, 20 ms timers on CPU ${cpu}`, cases.map(summary), `npx bun bench/timer-wake.ts --seconds ${seconds} --cpu ${cpu}`, load);
}

await main();
