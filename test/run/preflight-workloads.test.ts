import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/config.ts";
import { checkBeforeSending } from "../../src/run/preflight.ts";
import { prepareScenario } from "../../src/engine/prepare.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const registry = builtinRegistry();

const dir = mkdtempSync(join(tmpdir(), "vbench-preflight-"));
const dataset = join(dir, "prompts.jsonl");
writeFileSync(dataset, ['{"prompt": "one"}', '{"prompt": "two"}', '{"prompt": "three"}'].join("\n") + "\n");
const config = join(dir, "config.json");
writeFileSync(config, JSON.stringify({ scenarios: [{ name: "file", dataset_type: "jsonl", dataset_path: dataset, num_prompts: 2 }] }));
const plan = () => resolveConfig({ configPath: config, flags: {}, env: {}, select: [], plugins: [] }, registry);
const dirs = { outputDir: join(dir, "out"), parsedDir: join(dir, "out", "parsed") };

describe("the pre-flight's dataset read is the run's", () => {
  test("run: each planned run's workload is built once, at its planned count, and prepareScenario uses it", async () => {
    const p = plan();
    const { tokenizers, workloads } = await checkBeforeSending(p, { ...dirs, dryRun: false });
    const run = p.runs[0]!;
    const built = workloads.get(run);
    expect(built?.count).toBe(2);
    const prepared = await prepareScenario(run, registry.backend(run.scenario.backend), tokenizers.get(run.scenario.tokenizer)!, undefined, built);
    expect(prepared.workload).toBe(built!);
    expect(prepared.count).toBe(2);
  });

  test("validate: nothing kept", async () => {
    const { workloads } = await checkBeforeSending(plan(), { ...dirs, dryRun: true });
    expect(workloads.size).toBe(0);
  });
});
