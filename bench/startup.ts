/**
 * Start-up time of the compiled binary: wall time of `vbench --help` and
 * `vbench --version` from spawn to exit, median of N runs (and min / max).
 *
 *   npx bun bench/startup.ts [--runs 20]
 */
import { BINARY, benchArgs, machineLoad, report, requireBinary } from "./_lib.ts";

export interface StartupFigure {
  args: string[];
  medianMs: number;
  /** CPU time (user + system) of the process: less sensitive to a busy machine than wall time. */
  medianCpuMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

function timeOnce(args: string[]): { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const proc = Bun.spawnSync([BINARY, ...args], { stdout: "ignore", stderr: "ignore" });
  const wallMs = performance.now() - started;
  if (proc.exitCode !== 0) throw new Error(`vbench ${args.join(" ")} exited ${proc.exitCode}`);
  return { wallMs, cpuMs: Number(proc.resourceUsage.cpuTime.total) / 1000 };
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function measureStartup(args: string[], runs: number): StartupFigure {
  timeOnce(args); // page cache
  const samples = Array.from({ length: runs }, () => timeOnce(args));
  const walls = samples.map((s) => s.wallMs).sort((a, b) => a - b);
  const cpus = samples.map((s) => s.cpuMs).sort((a, b) => a - b);
  return { args, medianMs: median(walls), medianCpuMs: median(cpus), minMs: walls[0]!, maxMs: walls[runs - 1]!, runs };
}

export function benchStartup(cli = benchArgs()): StartupFigure[] {
  requireBinary();
  const runs = Number(cli.get("runs") ?? 20);
  const load = machineLoad();
  const figures = [measureStartup(["--help"], runs), measureStartup(["--version"], runs)];
  report(
    "start-up",
    figures.map((f) => `vbench ${f.args.join(" ").padEnd(10)} median ${f.medianMs.toFixed(1)} ms wall (min ${f.minMs.toFixed(1)}, max ${f.maxMs.toFixed(1)}, ${f.runs} runs); median CPU ${f.medianCpuMs.toFixed(1)} ms`),
    `npx bun bench/startup.ts --runs ${runs}`,
    load,
  );
  return figures;
}

if (import.meta.main) benchStartup();
