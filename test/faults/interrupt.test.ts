/**
 * Interrupts, through the compiled binary: SIGINT or SIGTERM mid-run stops
 * dispatching, cancels what is in flight, writes results covering exactly the
 * finished requests and exits 130; a second signal exits at once with every
 * finished record already in requests.jsonl.
 *
 * Determinism: with `max_concurrency: 2` a finished request hands its slot to
 * the next one synchronously, so exactly 2 requests are in flight whenever a
 * signal is handled. The `hang@from:K` variants make the server stop
 * answering, so which requests finished is known exactly.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFault } from "../../src/mock/faults.ts";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import type { TruthRecord } from "../../src/mock/truth.ts";
import { BINARY, REPO, requireBinary, startMock, tempDir, truthSummary, vbench, writeConfig } from "../helpers/vbench.ts";
import { OTHER_CASES } from "./cases.ts";
import { filesUnder, findFile, readJsonLines } from "./harness.ts";

const EXIT = OTHER_CASES.find((c) => c.id === "sigint")!.exit;
const OUTPUT_TOKENS = 8;

let mock: SpawnedMock | null = null;
afterEach(async () => {
  await mock?.stop();
  mock = null;
});

interface Started {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  outDir: string;
  stderr: Promise<string>;
}

async function startRun(url: string, numPrompts: number): Promise<Started> {
  requireBinary();
  const dir = tempDir("vbench-int-");
  const outDir = join(dir, "out");
  const config = await writeConfig(dir, [{ name: "int", num_prompts: numPrompts, max_concurrency: 2, random_input_len: 8, random_output_len: OUTPUT_TOKENS }], { exporters: ["json"] });
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR"]) if (process.env[key]) env[key] = process.env[key]!;
  const proc = Bun.spawn([BINARY, "run", "--config", config, "--base-url", url, "--output-dir", outDir], { cwd: REPO, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { proc, outDir, stderr: new Response(proc.stderr).text() };
}

/** Poll (every 20 ms, up to 30 s) until `ready` holds. */
async function until(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await ready()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function requestsLog(outDir: string): string | undefined {
  return findFile(filesUnder(outDir), "requests.jsonl");
}

async function finish(run: Started): Promise<{ code: number; stderr: string; results: Record<string, any> | null; lines: Record<string, any>[] }> {
  const code = await run.proc.exited;
  const files = filesUnder(run.outDir);
  const resultsPath = findFile(files, "benchmark_results.json");
  return { code, stderr: await run.stderr, results: resultsPath ? JSON.parse(readFileSync(resultsPath, "utf8")) : null, lines: readJsonLines(findFile(files, "requests.jsonl")) };
}

async function runTruth(url: string): Promise<TruthRecord[]> {
  const all = (await (await fetch(`${url}/_truth`)).json()) as TruthRecord[];
  return all.filter((t) => !/-test-0$/.test(t.requestId));
}

describe("interrupts", () => {
  test("SIGINT mid-stream: results cover exactly the finished requests, in-flight ones are cancelled, exit 130", async () => {
    mock = await startMock({ ttftMs: 5, itlMs: 15 });
    const run = await startRun(mock.url, 200);
    await until("3 records on disk", () => {
      const path = requestsLog(run.outDir);
      return path !== undefined && readFileSync(path, "utf8").split("\n").length > 3;
    });
    run.proc.kill("SIGINT");
    const { code, stderr, results, lines } = await finish(run);
    expect(code).toBe(EXIT);
    expect(stderr).toContain("SIGINT: stopping");

    const ok = lines.filter((l) => l.success);
    const failed = lines.filter((l) => !l.success);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(failed.map((l) => l.error.category)).toEqual(["cancelled", "cancelled"]);
    expect(results).not.toBeNull();
    expect(results!.vbench.interrupted).toBe(true);
    expect(results!.completed).toBe(ok.length);
    expect(results!.failed).toBe(2);
    expect(results!.vbench.failures.by_category).toEqual({ cancelled: 2 });
    expect(results!.output_lens.filter((n: number) => n > 0)).toHaveLength(ok.length);
    expect(results!.total_output_tokens).toBe(ok.length * OUTPUT_TOKENS);

    // Against the server's record: every success was fully served, every request sent is accounted for.
    const truth = await runTruth(mock.url);
    const served = new Map(truth.map((t) => [t.requestId, t]));
    for (const l of ok) expect(served.get(l.request_id)?.outputTokens).toBe(OUTPUT_TOKENS);
    const recorded = new Set(lines.map((l) => l.request_id as string));
    for (const t of truth) expect(recorded.has(t.requestId)).toBe(true);
    expect(lines.length).toBeLessThan(200);
  }, 60_000);

  test("SIGTERM while the server hangs: the 4 finished requests are the results, the 2 hung ones cancelled", async () => {
    mock = await startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("hang@from:5")] });
    const run = await startRun(mock.url, 20);
    // Indices 1-4 are served; 5 and 6 hang, holding both slots: nothing else can finish.
    await until("both hung requests at the server", async () => (await truthSummary(mock!.url)).requestsReceived === 7);
    run.proc.kill("SIGTERM");
    const { code, stderr, results, lines } = await finish(run);
    expect(code).toBe(EXIT);
    expect(stderr).toContain("SIGTERM: stopping");
    expect(results!.completed).toBe(4);
    expect(results!.failed).toBe(2);
    expect(results!.vbench.failures.by_category).toEqual({ cancelled: 2 });
    // Cancelled requests are not failures: no implicit success_rate verdict, and the saved results pass a check.
    expect(results!.vbench.thresholds).toEqual([]);
    expect(results!.vbench.passed).toBe(true);
    expect((await vbench(["analyze", run.outDir, "--check"])).code).toBe(0);
    // One success rate everywhere: 4 of the 4 that finished, in the documents and in analyze as in the gate.
    const standardized = JSON.parse(readFileSync(findFile(filesUnder(run.outDir), "_standardized.json")!, "utf8"));
    expect(standardized.success_rate).toBe(1);
    const analyzed = JSON.parse((await vbench(["analyze", run.outDir, "--format", "json"])).stdout);
    expect(analyzed.runs.map((r: { success_rate: number }) => r.success_rate)).toEqual([1]);
    expect(lines.filter((l) => l.success)).toHaveLength(4);
    expect(lines.filter((l) => !l.success).map((l) => l.error.category)).toEqual(["cancelled", "cancelled"]);
    // Nothing was dispatched after the signal.
    expect((await truthSummary(mock.url)).requestsReceived).toBe(7);
  }, 60_000);

  test("a second signal exits at once, with every finished request in requests.jsonl", async () => {
    mock = await startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("hang@from:5")] });
    const run = await startRun(mock.url, 20);
    await until("both hung requests at the server", async () => (await truthSummary(mock!.url)).requestsReceived === 7);
    // Two different signals: a repeated one could be merged by the kernel before the process sees it.
    run.proc.kill("SIGTERM");
    run.proc.kill("SIGINT");
    const { code, stderr, lines } = await finish(run);
    expect(code).toBe(EXIT);
    // The kernel may deliver the two signals in either order.
    expect(stderr).toMatch(/(SIGINT|SIGTERM) again: exiting now/);
    const served = (await runTruth(mock.url)).filter((t) => t.outputTokens === OUTPUT_TOKENS).map((t) => t.requestId).sort();
    expect(served).toHaveLength(4);
    expect(lines.filter((l) => l.success).map((l) => l.request_id).sort()).toEqual(served);
  }, 60_000);

  test("SIGINT during the initial test request: exit 130 with an empty interrupted result, not a preflight failure", async () => {
    mock = await startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("hang@at:0")] });
    const run = await startRun(mock.url, 20);
    await until("the test request at the server", async () => (await truthSummary(mock!.url)).requestsReceived === 1);
    run.proc.kill("SIGINT");
    const { code, stderr, results, lines } = await finish(run);
    expect(code).toBe(EXIT);
    expect(stderr).not.toContain("initial test request");
    expect(stderr).not.toContain("Starting main benchmark run");
    expect(results!.completed).toBe(0);
    expect(results!.failed).toBe(0);
    expect(results!.vbench.interrupted).toBe(true);
    expect(lines).toHaveLength(0);
    expect((await truthSummary(mock.url)).requestsReceived).toBe(1);
  }, 60_000);
});
