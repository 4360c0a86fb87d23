/**
 * Shared helpers of the bench/ scripts: run the compiled binary as users do
 * (its own process), start the simulator in another, read what both wrote,
 * and say how loaded the machine was next to every figure.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { spawnMockProcess, type SpawnedMock } from "../src/mock/spawn.ts";
import type { MockOptions } from "../src/mock/options.ts";
import { timingFromJsonLine, type MeasuredTiming } from "../src/results/truth-compare.ts";

export const REPO = resolve(import.meta.dir, "..");
/** The binary under test: VBENCH_BINARY or dist/vbench (built by `npm run bench`). */
export const BINARY = process.env.VBENCH_BINARY ?? join(REPO, "dist/vbench");

export function requireBinary(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npx bun build.ts\` first (npm run bench does)`);
}

/** Load average and, where the kernel has it, CPU pressure (share of time some task waited for a core). */
export function machineLoad(): string {
  const [one, five] = loadavg();
  let pressure = "";
  try {
    const m = /some avg10=([\d.]+) avg60=([\d.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    if (m) pressure = `, CPU pressure ${m[1]}% (10 s) ${m[2]}% (60 s)`;
  } catch {
    // No PSI on this kernel.
  }
  return `load ${one!.toFixed(2)} ${five!.toFixed(2)} on ${navigator.hardwareConcurrency} cores${pressure}`;
}

/**
 * Compiles bench/NAME.c with cc -O2 (once per source change, into the temp directory) and returns
 * its command, or why it cannot (`what` needs a C compiler).
 */
export function buildCHelper(name: string, what: string): string[] | string {
  const cc = Bun.which("cc") ?? Bun.which("gcc");
  if (!cc) return `${what} needs a C compiler (apt-get install gcc)`;
  const source = join(REPO, `bench/${name}.c`);
  const binary = join(tmpdir(), `vbench-${name}-${Bun.hash(readFileSync(source)).toString(16)}`);
  if (existsSync(binary)) return [binary];
  const built = Bun.spawnSync([cc, "-O2", "-o", binary, source], { stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`cc bench/${name}.c failed: ${built.stderr.toString()}`);
  return [binary];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vbench-bench-${prefix}-`));
}

export function startSimulator(options: Partial<MockOptions>): Promise<SpawnedMock> {
  requireBinary();
  return spawnMockProcess([BINARY], { exactPromptTokens: false, ...options });
}

export interface BinaryRun {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set of the vbench process (KiB), from /usr/bin/time when available. */
  peakRssKiB: number | null;
  /** The command as a user would type it (binary path relative to the repository). */
  command: string;
}

const TIME_BIN = "/usr/bin/time";
const RSS_MARK = "VBENCH_BENCH_MAXRSS_KB=";

export async function runBinary(args: string[], options: { measureRss?: boolean; env?: Record<string, string> } = {}): Promise<BinaryRun> {
  requireBinary();
  const useTime = options.measureRss && existsSync(TIME_BIN);
  const cmd = useTime ? [TIME_BIN, "-f", `${RSS_MARK}%M`, BINARY, ...args] : [BINARY, ...args];
  const started = performance.now();
  const proc = Bun.spawn(cmd, { cwd: REPO, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { ...process.env, ...options.env } });
  const [stdout, stderrAll, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const wallMs = performance.now() - started;
  let stderr = stderrAll;
  let peakRssKiB: number | null = null;
  const at = stderrAll.lastIndexOf(RSS_MARK);
  if (at >= 0) {
    peakRssKiB = Number(stderrAll.slice(at + RSS_MARK.length).trim());
    stderr = stderrAll.slice(0, at);
  }
  return { code, stdout, stderr, wallMs, peakRssKiB, command: `${relative(REPO, BINARY) || BINARY} ${args.map(quote).join(" ")}` };
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

export function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) if (entry.endsWith(name)) return join(dir, entry);
  throw new Error(`${name} not found under ${dir}`);
}

export function readTimings(dir: string): MeasuredTiming[] {
  const text = readFileSync(findFile(dir, "requests.jsonl"), "utf8");
  return text.split("\n").filter(Boolean).map(timingFromJsonLine);
}

/** The `vbench.client` object of benchmark_results.json. */
export interface ClientDoc {
  dispatch_lag_ms: { mean: number; percentiles: Record<string, number>; max: number };
  send_lag_ms: { mean: number; percentiles: Record<string, number>; max: number };
  configured_rate_rps: number | "inf";
  achieved_rate_rps: number | null;
  event_loop_lag_ms: { p50: number; p99: number; max: number; samples: number };
  /** Builds from before read stalls were counted have none. */
  read_stalls?: { reads: number; over_1ms: number; over_5ms: number; max_ms: number };
  client_cpu_s: number;
  client_bound: boolean;
  client_bound_reason: string | null;
  drain_s: number;
}

export function readResults(dir: string): Record<string, unknown> & { vbench: { client: ClientDoc } } {
  return JSON.parse(readFileSync(findFile(dir, "benchmark_results.json"), "utf8"));
}

export async function writeScenario(dir: string, scenario: Record<string, unknown>): Promise<string> {
  const path = join(dir, "scenario.json");
  await Bun.write(path, JSON.stringify({ scenarios: [{ name: "bench", ...scenario }], exporters: "json" }, null, 2));
  return path;
}

/** `--name value` flags of a bench script (`--skip-1m` style switches are true). */
export function benchArgs(argv = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out.set(a.slice(2), "true");
    else out.set(a.slice(2), argv[++i]!);
  }
  return out;
}

export function numberList(text: string | undefined, fallback: number[]): number[] {
  return text ? text.split(",").map(Number) : fallback;
}

export const ms = (x: number, digits = 2) => (Number.isFinite(x) ? `${x.toFixed(digits)} ms` : "-");
export const signed = (x: number, digits = 2) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(digits)}` : "-");

/** Print a figure block: a title, the lines, the command and the machine's load. */
export function report(title: string, lines: string[], command: string, load: string): void {
  console.log(`\n## ${title}`);
  for (const line of lines) console.log(`  ${line}`);
  console.log(`  command: ${command}`);
  console.log(`  machine: ${load}`);
}
