/**
 * Runs one fault case end to end: the simulator in its own process (with the
 * case's faults), the compiled binary against it, and everything the run left
 * behind, parsed, for the assertions.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseFault } from "../../src/mock/faults.ts";
import type { TruthRecord } from "../../src/mock/truth.ts";
import { startMock, tempDir, truthSummary, vbench, writeConfig, type RunOutput } from "../helpers/vbench.ts";
import { OUTPUT_TOKENS, RUN_PROMPTS, type MatrixCase } from "./cases.ts";

export interface CaseRun extends RunOutput {
  outDir: string;
  /** benchmark_results.json, parsed; null when none was written. */
  results: Record<string, any> | null;
  /** requests.jsonl, one parsed object per line. */
  lines: Record<string, any>[];
  /** The simulator's generation requests received, and its per-request record. */
  serverReceived: number | null;
  truth: TruthRecord[];
  /** Every file the run wrote (absolute paths). */
  files: string[];
}

/** The matrix scenario: tiny, one request at a time, no thresholds: the implicit success_rate gate turns any failure into exit code 4. */
export function matrixScenario(name = "fault"): Record<string, unknown> {
  return { name, num_prompts: RUN_PROMPTS, max_concurrency: 1, random_input_len: 8, random_output_len: OUTPUT_TOKENS };
}

export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => join(dir, p)).filter((p) => statSync(p).isFile());
}

export function findFile(files: string[], suffix: string): string | undefined {
  return files.find((f) => f.endsWith(suffix));
}

export function readJsonLines(path: string | undefined): Record<string, any>[] {
  if (!path) return [];
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  // Every line must be complete JSON: a half-written line is a defect.
  return text.replace(/\n$/, "").split("\n").map((line) => JSON.parse(line));
}

/** A loopback port with nothing listening on it. */
export function closedPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export async function runCase(c: MatrixCase): Promise<CaseRun> {
  const dir = tempDir("vbench-fault-");
  const outDir = join(dir, "out");
  const config = await writeConfig(dir, [matrixScenario()], { exporters: ["json"] });
  const mock = c.mock ? await startMock({ ...c.mock, faults: (c.faults ?? []).map(parseFault) }) : null;
  try {
    const baseUrl = mock ? mock.url : `http://127.0.0.1:${closedPort()}`;
    const run = await vbench(["run", "--config", config, "--base-url", baseUrl, "--output-dir", outDir, ...(c.args ?? [])], { timeoutMs: 60_000 });
    let serverReceived: number | null = null;
    let truth: TruthRecord[] = [];
    if (mock && (await raceExit(mock.exited)) === null) {
      serverReceived = (await truthSummary(mock.url)).requestsReceived ?? null;
      truth = (await (await fetch(`${mock.url}/_truth`)).json()) as TruthRecord[];
    }
    const files = filesUnder(outDir);
    const resultsPath = findFile(files, "benchmark_results.json");
    return {
      ...run,
      outDir,
      results: resultsPath ? JSON.parse(readFileSync(resultsPath, "utf8")) : null,
      lines: readJsonLines(findFile(files, "requests.jsonl")),
      serverReceived,
      truth,
      files,
    };
  } finally {
    await mock?.stop();
  }
}

/** The exit code if the process has already exited, else null. */
async function raceExit(exited: Promise<number>): Promise<number | null> {
  return Promise.race([exited, Bun.sleep(0).then(() => null)]);
}

/** Run `tasks` with at most `limit` at once (the machine has 2 cores; each case is two processes). */
export async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
