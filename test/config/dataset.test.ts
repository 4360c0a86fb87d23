/**
 * A scenario's dataset is a union keyed by dataset_type (src/config/dataset.ts):
 * each type gets the options it reads, typed; the resolved scenario keeps the
 * options as written.
 */
import { describe, expect, test } from "bun:test";
import { resolveDataset, type CheckedConfigDataset } from "../../src/config/dataset.ts";
import { resolveConfig } from "../../src/config/config.ts";
import { scenarioForOutput, toJsonValue } from "../../src/results/result-docs.ts";
import { scenarioFromManifest } from "../../src/run/shard-manifest.ts";
import { configHash } from "../../src/config/shard.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const place = (key: string) => `scenarios[0].${key}`;

/** The narrowing the union gives: a jsonl dataset has a path, a synthetic one distributions. */
function describeDataset(d: CheckedConfigDataset): string {
  if (d.dataset_type === "jsonl") return `jsonl ${d.dataset_path} shuffle=${d.shuffle}`;
  if (d.dataset_type === "trace") return `trace ${d.dataset_path} x${d.time_scale}`;
  if (d.dataset_type === "prefix") return `prefix ${d.num_prefix_groups} groups`;
  return d.dataset_type;
}

describe("the dataset union", () => {
  test("each type gets its own options, with the workload's defaults filled in", () => {
    const jsonl = resolveDataset({ dataset_type: "jsonl", dataset_path: "prompts.jsonl", sessions: 2, turns: 3 }, place);
    expect(jsonl.problems).toEqual([]);
    expect(describeDataset(jsonl.dataset!)).toBe("jsonl prompts.jsonl shuffle=true");
    expect(jsonl.dataset).toMatchObject({ sessions: 2, turns: 3 });
    expect(describeDataset(resolveDataset({ dataset_type: "trace", dataset_path: "t.jsonl" }, place).dataset!)).toBe("trace t.jsonl x1");
    expect(describeDataset(resolveDataset({ dataset_type: "prefix" }, place).dataset!)).toBe("prefix 1 groups");
    expect(describeDataset(resolveDataset({ dataset_type: "random" }, place).dataset!)).toBe("random");
  });

  test("an unknown type and a missing option are problems named where they were written", () => {
    expect(resolveDataset({ dataset_type: "jsnol" }, place)).toEqual({ dataset: null, problems: ['scenarios[0].dataset_type: unknown dataset type "jsnol" (did you mean "jsonl"?); available: random, synthetic, jsonl, sharegpt, trace, prefix'] });
    expect(resolveDataset({ dataset_type: "sharegpt" }, place).problems).toEqual(['scenarios[0].dataset_path: missing: dataset_type "sharegpt" needs dataset_path (a ShareGPT JSON file); set it in the scenario or in defaults or with --dataset-path']);
  });

  test("the resolved scenario keeps the options as written (no defaults filled in)", () => {
    const registry = builtinRegistry();
    const flags = { dataset_type: "jsonl", dataset_path: import.meta.path };
    const plan = resolveConfig({ configPath: "configs/vllm_benchmark.json", flags, env: {}, select: [], plugins: [] }, registry);
    expect(plan.runs[0]!.scenario.dataset).toEqual({ type: "jsonl", dataset_path: import.meta.path });
  });
});

describe("the dataset in result files", () => {
  test("stored as datasetType and dataset (the options), where dataset stood; read back from a shard manifest unchanged", () => {
    const registry = builtinRegistry();
    const flags = { dataset_type: "jsonl", dataset_path: import.meta.path };
    const scenario = resolveConfig({ configPath: "configs/vllm_benchmark.json", flags, env: {}, select: [], plugins: [] }, registry).runs[0]!.scenario;
    const stored = scenarioForOutput(scenario);
    const keys = Object.keys(stored);
    expect(keys.slice(keys.indexOf("tokenizer"), keys.indexOf("tokenizer") + 3)).toEqual(["tokenizer", "datasetType", "dataset"]);
    expect(stored.datasetType).toBe("jsonl");
    expect(stored.dataset).toEqual({ dataset_path: import.meta.path });
    const back = scenarioFromManifest(JSON.parse(JSON.stringify(toJsonValue(stored))));
    expect(back.dataset).toEqual(scenario.dataset);
    expect(configHash(back)).toBe(configHash(scenario));
  });
});
