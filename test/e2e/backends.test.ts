/**
 * Every built-in backend, and example plugins loaded from outside the source
 * tree, through the compiled binary against the simulator.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, startMock, tempDir, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";

function resultsOf(dir: string): Record<string, any> {
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    if (entry.endsWith("benchmark_results.json")) return JSON.parse(readFileSync(join(dir, entry), "utf8"));
  }
  throw new Error(`no benchmark_results.json under ${dir}`);
}

describe("backends against the simulator", () => {
  const mock = sharedMock({ ttftMs: 20, itlMs: 4 });
  let config: string;
  const runs: Record<string, { code: number; stderr: string; doc: Record<string, any> }> = {};

  beforeAll(async () => {
    const dir = tempDir();
    config = await writeConfig(dir, [{ name: "same", num_prompts: 16, max_concurrency: 4, random_input_len: 64, random_output_len: 24 }]);
    for (const backend of ["openai-chat", "openai", "tgi"]) {
      const out = join(dir, backend);
      const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--backend", backend, "--output-dir", out]);
      runs[backend] = { ...r, doc: r.code === 0 ? resultsOf(out) : {} };
    }
  }, 120_000);

  test.each(["openai-chat", "openai", "tgi"])("%s: succeeds with the server's own token counts", (backend) => {
    const run = runs[backend]!;
    expect(run.code).toBe(0);
    expect(run.doc.completed).toBe(16);
    expect(run.doc.total_output_tokens).toBe(16 * 24);
    expect(run.doc.vbench.token_sources.server).toBe(16);
    expect(run.doc.vbench.token_sources.tokenizer).toBe(0);
    expect(run.stderr).toMatch(/Output token count source:\s+server 16, tokenizer 0/);
  });

  test("the three backends agree on totals and latencies within tolerance", () => {
    const docs = ["openai-chat", "openai", "tgi"].map((b) => runs[b]!.doc);
    expect(new Set(docs.map((d) => d.total_output_tokens)).size).toBe(1);
    expect(new Set(docs.map((d) => d.total_input_tokens)).size).toBe(1);
    for (const d of docs) {
      expect(d.mean_ttft_ms).toBeGreaterThan(19);
      expect(d.mean_ttft_ms).toBeLessThan(80);
      expect(d.mean_tpot_ms).toBeGreaterThan(3.5);
      expect(d.mean_tpot_ms).toBeLessThan(12);
    }
  });

  test("tgi works with no config file at all", async () => {
    const cwd = tempDir();
    const r = await vbench(["run", "--backend", "tgi", "--base-url", mock.url, "--num-prompts", "3", "--random-input-len", "16", "--random-output-len", "4", "--output-dir", join(cwd, "out")], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Successful requests:                     3");
    expect(resultsOf(join(cwd, "out")).backend).toBe("tgi");
  });
});

describe("plugins loaded from disk into the compiled binary", () => {
  test("an example backend and exporter outside the source tree run a full benchmark", async () => {
    const mock = await startMock({ ttftMs: 5, itlMs: 1 });
    try {
      const dir = tempDir("vbench-plugins-");
      copyFileSync(join(REPO, "plugins/examples/json-generate-backend.ts"), join(dir, "json-generate-backend.ts"));
      copyFileSync(join(REPO, "plugins/examples/markdown-exporter.ts"), join(dir, "markdown-exporter.ts"));
      const config = await writeConfig(dir, [{ name: "plugged", num_prompts: 6, max_concurrency: 2, random_input_len: 16, random_output_len: 8 }], { plugins: ["markdown-exporter.ts"] });
      const out = join(dir, "out");
      const r = await vbench(["run", "--config", config, "--plugin", join(dir, "json-generate-backend.ts"), "--backend", "json-generate", "--export", "json,markdown", "--base-url", mock.url, "--output-dir", out], { cwd: dir });
      expect(r.stderr).toContain("Successful requests:                     6");
      expect(r.code).toBe(0);
      const doc = resultsOf(out);
      expect(doc.backend).toBe("json-generate");
      expect(doc.total_output_tokens).toBe(6 * 8);
      expect(readFileSync(join(out, "summary.md"), "utf8")).toContain("| plugged | 6 | 0 |");
      const listing = await vbench(["plugins", "--plugin", join(dir, "json-generate-backend.ts")], { cwd: dir });
      expect(listing.stdout).toMatch(/backend\s+json-generate\s+\/.*json-generate-backend\.ts/);
    } finally {
      await mock.stop();
    }
  });

  test("a broken plugin file is named with what is wrong", async () => {
    const dir = tempDir("vbench-plugins-");
    await Bun.write(join(dir, "broken.ts"), "export default { kind: 'backend', name: 'x' };\n");
    await Bun.write(join(dir, "syntax.ts"), "export default {{;\n");
    const a = await vbench(["plugins", "--plugin", join(dir, "broken.ts")]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(`plugin ${join(dir, "broken.ts")}: backend "x" lacks defaultEndpointPath`);
    const b = await vbench(["plugins", "--plugin", join(dir, "syntax.ts")]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`cannot load plugin ${join(dir, "syntax.ts")}`);
  });
});
