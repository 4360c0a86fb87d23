/**
 * Where a configuration problem is blamed and how it is said: a flag's
 * mistake names the flag, a key of the file names its own JSON path, a bad
 * value says what is wrong with it; counts beyond what fits are refused.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, type ConfigSources } from "../../src/config/config.ts";
import { MAX_REQUESTS } from "../../src/config/schema.ts";
import { VbenchError } from "../../src/base/errors.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const registry = builtinRegistry();

const dir = mkdtempSync(join(tmpdir(), "vbench-config-messages-"));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

/** A path that does not exist: no config file at all, whatever the working directory holds. */
const NO_FILE = undefined;

function sources(extra: Partial<ConfigSources> = {}): ConfigSources {
  return { flags: {}, env: {}, select: [], plugins: [], ...extra };
}

/** The problem lines of a configuration that must be rejected. */
function problems(s: ConfigSources): string[] {
  try {
    resolveConfig(s, registry);
  } catch (e) {
    expect(e).toBeInstanceOf(VbenchError);
    return (e as VbenchError).details;
  }
  throw new Error("expected the configuration to be rejected");
}

/** Resolve with no config file (the working directory's default file is not read). */
function withoutFile<T>(fn: () => T): T {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

describe("a problem is blamed where it was written", () => {
  test("--backend tgx names the flag, once, not a scenario", () => {
    const lines = withoutFile(() => problems(sources({ configPath: NO_FILE, flags: { backend: "tgx" } })));
    expect(lines).toEqual(['--backend: unknown backend "tgx" (did you mean "tgi"?); available: openai-chat, openai, tgi']);
    const path = file({ scenarios: [{ name: "a" }, { name: "b" }] });
    expect(problems(sources({ configPath: path, flags: { backend: "tgx" } }))).toEqual(lines);
  });

  test("a key of `defaults` is blamed on defaults, a scenario's own on the scenario", () => {
    const path = file({ defaults: { backend: "tgx" }, scenarios: [{ name: "a" }, { name: "b", backend: "vlm" }] });
    const text = problems(sources({ configPath: path })).join("\n");
    expect(text).toContain(`${path}: defaults.backend: unknown backend "tgx"`);
    expect(text).toContain(`${path}: scenarios[1].backend: unknown backend "vlm"`);
    expect(text).not.toContain("scenarios[0].backend");
  });

  test("a value from the environment names the variable", () => {
    const lines = withoutFile(() => problems(sources({ env: { DURATION: "1e300", REQUEST_RATE: "10" } })));
    expect(lines.join("\n")).toContain("environment DURATION: ");
  });

  test("a top-level threshold typo names the file's `thresholds`, once", () => {
    const path = file({ thresholds: { ttft_p95: 3 }, scenarios: [{ name: "a" }, { name: "b" }] });
    const lines = problems(sources({ configPath: path }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(`${path}: thresholds: unknown threshold "ttft_p95"`);
  });

  test("a threshold typo in defaults names defaults.thresholds", () => {
    const path = file({ defaults: { thresholds: { tfft_p95_ms: 3 } }, scenarios: [{ name: "a" }] });
    expect(problems(sources({ configPath: path }))[0]).toStartWith(`${path}: defaults.thresholds: unknown threshold "tfft_p95_ms"`);
  });
});

describe("what is wrong with a value", () => {
  test("a JSON array instead of an object says so", () => {
    const path = file([{ name: "a" }]);
    const lines = problems(sources({ configPath: path }));
    expect(lines[0]).toStartWith(`${path}: (top level): expected a JSON object`);
    expect(lines[0]).toEndWith("found an array");
  });

  test("goodput ttft:abc names abc and the expected form, never NaN", () => {
    const path = file({ scenarios: [{ name: "a", goodput: "ttft:abc,tpot:50" }, { name: "b", goodput: "tpot" }, { name: "c", goodput: "e2el:-5" }] });
    const text = problems(sources({ configPath: path })).join("\n");
    expect(text).not.toContain("NaN");
    expect(text).toContain(`${path}: scenarios[0].goodput: "ttft:abc": "abc" is not a number of milliseconds; expected "<metric>:<milliseconds>"`);
    expect(text).toContain('e.g. "ttft:200,tpot:50"');
    expect(text).toContain(`${path}: scenarios[1].goodput: "tpot": no milliseconds given for tpot`);
    expect(text).toContain(`${path}: scenarios[2].goodput: "e2el:-5": the limit must be a finite number of milliseconds > 0, found -5`);
  });

  test("an unknown dataset_type lists the known ones, with a suggestion", () => {
    const path = file({ scenarios: [{ name: "a", dataset_type: "csv" }, { name: "b", dataset_type: "jsnol", dataset_path: import.meta.path }] });
    const text = problems(sources({ configPath: path })).join("\n");
    expect(text).toContain(`${path}: scenarios[0].dataset_type: unknown dataset type "csv"; available: random, synthetic, jsonl, sharegpt, trace, prefix`);
    expect(text).toContain(`${path}: scenarios[1].dataset_type: unknown dataset type "jsnol" (did you mean "jsonl"?)`);
  });

  test("a file-based dataset without dataset_path", () => {
    const path = file({ scenarios: [{ name: "a", dataset_type: "jsonl" }] });
    expect(problems(sources({ configPath: path }))).toEqual([`${path}: scenarios[0].dataset_path: missing: dataset_type "jsonl" needs dataset_path (a JSONL file of prompts); set it in the scenario or in defaults or with --dataset-path`]);
    const lines = withoutFile(() => problems(sources({ flags: { dataset_type: "sharegpt" } })));
    expect(lines[0]).toStartWith('--dataset-path: missing: dataset_type "sharegpt" needs dataset_path');
  });
});

describe("counts beyond what fits are refused before anything runs", () => {
  test("num_prompts 1e20, 1e400 (Infinity), 1.5 and MAX_REQUESTS + 1 in the file; MAX_REQUESTS itself resolves", () => {
    const path = file(`{"scenarios": [{"name": "a", "num_prompts": 1e20}, {"name": "b", "num_prompts": 1e400}, {"name": "c", "num_prompts": 1.5}, {"name": "d", "num_prompts": ${MAX_REQUESTS + 1}}]}`);
    const lines = problems(sources({ configPath: path }));
    expect(lines).toEqual([
      `${path}: scenarios[0].num_prompts: expected a number <= ${MAX_REQUESTS}, found 100000000000000000000`,
      `${path}: scenarios[1].num_prompts: expected a whole number, found Infinity`,
      `${path}: scenarios[2].num_prompts: expected a whole number, found 1.5`,
      `${path}: scenarios[3].num_prompts: expected a number <= ${MAX_REQUESTS}, found ${MAX_REQUESTS + 1}`,
    ]);
    const ok = resolveConfig(sources({ configPath: file({ scenarios: [{ name: "a", num_prompts: MAX_REQUESTS }] }) }), registry);
    expect(ok.runs[0]!.scenario.numPrompts).toBe(MAX_REQUESTS);
  });

  test("--num-prompts 1e20 as a flag", () => {
    const lines = withoutFile(() => problems(sources({ flags: { num_prompts: "1e20" } })));
    expect(lines).toEqual([`--num-prompts: expected a number <= ${MAX_REQUESTS}, found 100000000000000000000`]);
  });

  test("a time-bound run whose rate × duration plans too many requests; an infinite duration", () => {
    const path = file(`{"scenarios": [{"name": "a", "duration": 1e12, "request_rate": 10}, {"name": "b", "duration": 1e400}]}`);
    const text = problems(sources({ configPath: path })).join("\n");
    expect(text).toContain(`${path}: scenarios[0].duration: 10000000000000 requests planned (request rate × duration); at most ${MAX_REQUESTS} fit in one run`);
    expect(text).toContain(`${path}: scenarios[1].duration: expected a finite number, found Infinity`);
  });

  test("prompt lengths and sweep levels are bounded too", () => {
    const path = file({ scenarios: [{ name: "a", random_input_len: 1e9 }] });
    const text = problems(sources({ configPath: path, env: { CONCURRENCY_LEVELS: "1,3000000000" } })).join("\n");
    expect(text).toContain(`${path}: scenarios[0].random_input_len: expected a number <= 16777216, found 1000000000`);
    expect(text).toContain('CONCURRENCY_LEVELS: expected whole numbers <= 2147483647, found "3000000000"');
  });
});
