/**
 * Test helpers: run the compiled binary (built by `npm test` before the
 * suite) and start the simulator in its own process, as users do.
 */
import { afterAll, beforeAll } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnMockProcess, type SpawnedMock } from "../../src/mock/spawn.ts";
import type { MockOptions } from "../../src/mock/options.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const BINARY = join(REPO, "dist/vbench");

export function requireBinary(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm test\` (it builds the binary first) or \`npx bun build.ts\``);
}

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export async function vbench(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; wrap?: (cmd: string[]) => string[] } = {},
): Promise<RunOutput> {
  requireBinary();
  const env: Record<string, string> = {};
  // A clean environment: only what the test sets, plus PATH/HOME for the runtime.
  for (const key of ["PATH", "HOME", "TMPDIR"]) if (process.env[key]) env[key] = process.env[key]!;
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  // `wrap`: e.g. test/helpers/unprivileged.ts's, to run the binary as another user.
  const cmd = options.wrap ? options.wrap([BINARY, ...args]) : [BINARY, ...args];
  const proc = Bun.spawn(cmd, { cwd: options.cwd ?? REPO, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export function startMock(options: Partial<MockOptions> = {}): Promise<SpawnedMock> {
  requireBinary();
  return spawnMockProcess([BINARY], options);
}

export function tempDir(prefix = "vbench-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The simulator a test file (or a describe block) shares: started by a beforeAll registered here,
 * so a later beforeAll of the caller can already use it, and stopped after the last test.
 */
export function sharedMock(options: Partial<MockOptions> = {}): SpawnedMock {
  let mock: SpawnedMock | null = null;
  beforeAll(async () => {
    mock = await startMock(options);
  });
  afterAll(async () => {
    await mock?.stop();
  });
  const started = (): SpawnedMock => {
    if (!mock) throw new Error("the shared simulator is used before its beforeAll started it");
    return mock;
  };
  return {
    get url() {
      return started().url;
    },
    get pid() {
      return started().pid;
    },
    get exited() {
      return started().exited;
    },
    stderrTail: () => started().stderrTail(),
    stop: (graceMs) => started().stop(graceMs),
  };
}

/** A scratch directory for a test file (or a describe block), removed after its last test. */
export function sharedDir(prefix?: string): string {
  const dir = tempDir(prefix);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function truthSummary(url: string): Promise<Record<string, number>> {
  return (await fetch(`${url}/_truth/summary`)).json() as Promise<Record<string, number>>;
}

/** Write a scenario file with the given scenarios (no thresholds unless given) and return its path. */
/** The text of the first file under `outDir` whose path ends with `suffix` (the run's `.log`, its `requests.jsonl`). */
export function readRunFile(outDir: string, suffix: string): string {
  const file = (readdirSync(outDir, { recursive: true }) as string[]).find((f) => f.endsWith(suffix));
  if (file === undefined) throw new Error(`no file ending ${suffix} under ${outDir}`);
  return readFileSync(join(outDir, file), "utf8");
}

export async function writeConfig(dir: string, scenarios: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await Bun.write(path, JSON.stringify({ scenarios, ...extra }, null, 2));
  return path;
}
