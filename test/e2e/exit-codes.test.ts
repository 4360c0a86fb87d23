/**
 * Honest exit codes (issue 15): a run in which requests failed exits 4 unless
 * a `success_rate` threshold tolerates them (an implicit `success_rate: 1`
 * applies when none is set), and `analyze --check` on its results agrees.
 * The compiled binary against the simulator, which cuts connections.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseFault } from "../../src/mock/faults.ts";
import { ExitCode } from "../../src/base/errors.ts";
import { startMock, tempDir, vbench, writeConfig } from "../helpers/vbench.ts";

const SCENARIO = { name: "dies", num_prompts: 6, max_concurrency: 1, random_input_len: 8, random_output_len: 4 };

async function run(extra: Record<string, unknown> = {}) {
  const dir = tempDir("vbench-exit-");
  const config = await writeConfig(dir, [{ ...SCENARIO, ...extra }], { exporters: ["json"] });
  const out = join(dir, "out");
  // Request 0 is the initial test request; from the fourth generation request on every connection is cut after the headers.
  const mock = await startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("cut=0@from:3")] });
  try {
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out]);
    return { ...r, out };
  } finally {
    await mock.stop();
  }
}

describe("a run with failed requests", () => {
  test("without a success_rate threshold: exit 4, the implicit success_rate named", async () => {
    const r = await run();
    expect(r.stderr).toContain("Failed requests:                         4");
    expect(r.code).toBe(ExitCode.threshold);
    expect(r.stderr).toMatch(/FAIL success_rate: measured 0\.33\d*, limit >= 1/);
    expect(r.stderr).toContain("implicit");
    // The saved results say the same: analyze --check fails them too.
    const check = await vbench(["analyze", r.out, "--check"]);
    expect(check.code).toBe(ExitCode.threshold);
    expect(check.stderr).toContain("FAIL success_rate");
  });

  test("a success_rate threshold that tolerates the failures: exit 0", async () => {
    const r = await run({ thresholds: { success_rate: 0.3 } });
    expect(r.code).toBe(ExitCode.ok);
    const check = await vbench(["analyze", r.out, "--check"]);
    expect(check.code).toBe(ExitCode.ok);
  });

  test("a success_rate threshold the run misses: exit 4", async () => {
    const r = await run({ thresholds: { success_rate: 0.5 } });
    expect(r.code).toBe(ExitCode.threshold);
    expect(r.stderr).not.toContain("implicit");
  });
});
