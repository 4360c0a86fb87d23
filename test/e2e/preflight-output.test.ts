/**
 * What a run leaves behind when it stops before traffic, what `--version`
 * says, and the served-model check override: the compiled binary against
 * the simulator in its own process, over 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { startMock, tempDir, vbench } from "../helpers/vbench.ts";

const SMALL = ["--num-prompts", "2", "--random-input-len", "8", "--random-output-len", "4"];

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe("a failed preflight writes nothing but the main log", () => {
  test("unreachable server: exit 3, no parsed/, no scenario directory or log", async () => {
    const out = join(tempDir(), "out");
    const r = await vbench(["run", "--base-url", `http://127.0.0.1:${await closedPort()}`, "--output-dir", out, ...SMALL]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("cannot reach the server");
    expect(files(out)).toEqual([expect.stringMatching(/^vllm_benchmark_main_\d{8}_\d{6}\.log$/)]);
  });

  test("a failed initial test request: the same", async () => {
    const mock = await startMock({ errorRate: 1 });
    try {
      const out = join(tempDir(), "out");
      const r = await vbench(["run", "--base-url", mock.url, "--output-dir", out, ...SMALL]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain("the initial test request");
      const left = files(out);
      expect(left).toEqual([expect.stringMatching(/^vllm_benchmark_main_\d{8}_\d{6}\.log$/)]);
      // The main log keeps the lines of the scenario that never started.
      expect(readFileSync(join(out, left[0]!), "utf8")).toContain("Starting initial single prompt test run...");
    } finally {
      await mock.stop();
    }
  });
});

describe("a run that passes its test request", () => {
  let mock: SpawnedMock;
  let out: string;
  let run: Awaited<ReturnType<typeof vbench>>;
  beforeAll(async () => {
    mock = await startMock({ ttftMs: 2, itlMs: 1 });
    out = join(tempDir(), "out");
    run = await vbench(["run", "--base-url", mock.url, "--output-dir", out, ...SMALL]);
  }, 60_000);
  afterAll(() => mock.stop());

  test("writes the scenario directory, its log (from its first line) and parsed/", () => {
    expect(run.code, run.stderr).toBe(0);
    const left = files(out);
    const scenarioLog = left.find((f) => /^scenario_.*\.log$/.test(f))!;
    expect(readFileSync(join(out, scenarioLog), "utf8").split("\n")[0]).toContain("Scenario basic_performance");
    expect(left.some((f) => /^scenario_[^/]*\/benchmark_results\.json$/.test(f))).toBe(true);
    expect(left.some((f) => /^parsed\/.*_standardized\.json$/.test(f))).toBe(true);
  });

  test("--version prints the Bun version that results record", async () => {
    const version = await vbench(["--version"]);
    expect(version.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(out, files(out).find((f) => f.endsWith("benchmark_results.json"))!), "utf8"));
    const runtime: string = doc.vbench.host.runtime;
    expect(runtime).toMatch(/^bun \d+\.\d+\.\d+/);
    expect(version.stdout.trim()).toBe(`vbench/${pkg.version} ${process.platform}-${process.arch} ${runtime}`);
  });
});

describe("--no-model-check", () => {
  // TGI requests carry no model field, so the simulator answers whatever name vbench was given.
  let mock: SpawnedMock;
  beforeAll(async () => {
    mock = await startMock({ ttftMs: 2, itlMs: 1, model: "/models/tiny-random-llama.gguf" });
  });
  afterAll(() => mock.stop());
  const args = () => ["run", "--backend", "tgi", "--base-url", mock.url, "--served-model-name", "tiny-random-llama", "--output-dir", join(tempDir(), "out"), ...SMALL];

  test("a name the server does not list stops the run by default", async () => {
    const r = await vbench(args());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('model "tiny-random-llama" is not served');
  });

  test("with the flag the run goes on, with a warning", async () => {
    const r = await vbench([...args(), "--no-model-check"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('model check skipped (model_check: false / --no-model-check): sending model "tiny-random-llama"');
    expect(r.stderr).toContain("/models/tiny-random-llama.gguf");
  });
});
