import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/config.ts";
import { buildWorkload } from "../../src/workload/index.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";
import { built } from "./helpers.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const ROOT = join(import.meta.dir, "../..");
const registry = builtinRegistry();
const gpt2 = await loadTokenizer("gpt2");
const files = readdirSync(join(ROOT, "configs")).filter((f) => f.startsWith("workload-") && f.endsWith(".json"));

test("there is an example for each dataset type and for sessions", () => {
  for (const name of ["synthetic", "sharegpt", "jsonl", "trace", "sessions", "prefix"]) {
    expect(files).toContain(`workload-${name}.json`);
  }
});

test.each(files)("configs/%s resolves and every scenario builds its workload", async (file) => {
  const plan = resolveConfig({ configPath: join("configs", file), flags: {}, env: {}, select: [], plugins: [] }, registry);
  expect(plan.runs.length).toBeGreaterThan(0);
  const cwd = process.cwd();
  process.chdir(ROOT); // dataset paths in the examples are relative to the repository
  try {
    for (const { scenario } of plan.runs) {
      const workload = built(await buildWorkload(scenario, gpt2, Math.min(scenario.numPrompts, 20)));
      expect(workload.items.length).toBeGreaterThan(0);
      for (const item of workload.items) expect(item.inputTokens).toBeGreaterThan(0);
      if (scenario.dataset.type === "trace") expect(workload.offsetsMs).toBeDefined();
      if (scenario.dataset.sessions !== undefined) expect(workload.sessions?.plan.length).toBe(scenario.dataset.sessions as number);
    }
  } finally {
    process.chdir(cwd);
  }
});
