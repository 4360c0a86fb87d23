/**
 * Bad configuration and flags, through the compiled binary: every problem is
 * reported at once, with where it is and what would be right, before any
 * traffic (the simulator counts no generation request), with exit code 2.
 * test/config/config.test.ts covers the validator itself; these check what a
 * user sees.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, truthSummary, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";
import { OTHER_CASES } from "./cases.ts";
import { matrixScenario } from "./harness.ts";

const CONFIG_EXIT = OTHER_CASES.find((c) => c.id === "bad-config")!.exit;

const mock = sharedMock({ ttftMs: 2, itlMs: 1 });

interface Rejected {
  stderr: string;
  /** The `  - ` problem lines. */
  problems: string[];
  outDir: string;
}

/** Run with `args`; it must exit 2 without sending a generation request. */
async function rejected(args: string[], env: Record<string, string> = {}): Promise<Rejected> {
  const outDir = join(tempDir("vbench-cfg-"), "out");
  const before = (await truthSummary(mock.url)).requestsReceived;
  const r = await vbench(["run", "--base-url", mock.url, "--output-dir", outDir, ...args], { env });
  expect(r.stderr).not.toContain("internal error");
  if (r.code !== CONFIG_EXIT) throw new Error(`exit ${r.code}, expected ${CONFIG_EXIT}; stderr:\n${r.stderr}`);
  expect((await truthSummary(mock.url)).requestsReceived).toBe(before);
  expect(r.stdout).toBe("");
  return { stderr: r.stderr, problems: r.stderr.split("\n").filter((l) => l.startsWith("  - ")).map((l) => l.slice(4)), outDir };
}

function file(text: string): string {
  const path = join(tempDir("vbench-cfg-"), "config.json");
  writeFileSync(path, text);
  return path;
}

describe("the scenario file", () => {
  test("not JSON: the line and column of the mistake", async () => {
    const path = file('{\n  "scenarios": [\n    {"name": "a" "num_prompts": 1}\n  ]\n}');
    const r = await rejected(["--config", path]);
    expect(r.stderr).toContain(`${path} is not valid JSON`);
    expect(r.stderr).toContain("at line 3, column 18");
    expect(existsSync(r.outDir)).toBe(false);
  });

  test("wrong types, zero and negative counts and rates, empty and duplicate names, unknown keys: all at once", async () => {
    const path = await writeConfig(tempDir("vbench-cfg-"), [
      { name: "", num_prompts: 0, request_rate: -1, max_concurrency: 0, random_input_len: "ten", duration: 0, burstiness: 0, timeout_s: 0 },
      { name: "b", warmups: -1, randon_output_len: 3 },
      { name: "b", seed: 1.5, random_output_len: 0 },
    ], { thresholdz: {} });
    const r = await rejected(["--config", path]);
    const text = r.problems.join("\n");
    for (const expected of [
      'thresholdz: unknown key (did you mean "thresholds"?)',
      'scenarios[1].randon_output_len: unknown key (did you mean "random_output_len"?)',
      "scenarios[0].name: expected a non-empty name",
      "scenarios[0].num_prompts: expected a number >= 1, found 0",
      "scenarios[0].request_rate: expected a number > 0",
      "scenarios[0].max_concurrency: expected a number >= 1, found 0",
      'scenarios[0].random_input_len: expected a number, found "ten"',
      "scenarios[0].duration: expected a number > 0, found 0",
      "scenarios[0].burstiness: expected a number > 0",
      "scenarios[0].timeout_s: expected a number > 0, found 0",
      "scenarios[1].warmups: expected a number >= 0, found -1",
      "scenarios[2].seed: expected a whole number, found 1.5",
      "scenarios[2].random_output_len: expected a number >= 1, found 0",
      'scenarios[2].name: duplicate scenario name "b" (also scenarios[1])',
    ]) {
      expect(text).toContain(expected);
    }
    for (const line of r.problems.filter((l) => l.includes("scenarios["))) expect(line).toStartWith(`${path}: `);
    expect(r.stderr).toMatch(/error: \d+ configuration problems; nothing was sent/);
    expect(existsSync(r.outDir)).toBe(false);
  });

  test("an empty scenario list", async () => {
    const r = await rejected(["--config", file('{"scenarios": []}')]);
    expect(r.problems.join("\n")).toContain("scenarios: expected at least one scenario, found an empty array");
  });

  test("unknown backend, exporter and threshold key, each listing what exists", async () => {
    const path = await writeConfig(tempDir("vbench-cfg-"), [{ ...matrixScenario(), backend: "vllm", thresholds: { ttft_p95: 3 } }], { exporters: ["json", "xlsx"] });
    const text = (await rejected(["--config", path])).problems.join("\n");
    expect(text).toContain('unknown backend "vllm"; available: openai-chat, openai, tgi');
    expect(text).toMatch(/exporter "xlsx": unknown; available: json, csv, msgpack, prometheus/);
    expect(text).toContain('unknown threshold "ttft_p95"');
    expect(text).toContain("success_rate");
  });

  test("a missing config file", async () => {
    const r = await rejected(["--config", "/nonexistent/vbench.json"]);
    expect(r.stderr).toContain("config file not found: /nonexistent/vbench.json");
  });

  test("problems of different kinds in one scenario are all reported", async () => {
    const path = await writeConfig(tempDir("vbench-cfg-"), [{ ...matrixScenario(), num_prompts: 0, backend: "vllm", thresholds: { ttft_p95: 3 } }], { exporters: ["xlsx"] });
    const text = (await rejected(["--config", path])).problems.join("\n");
    expect(text).toContain("num_prompts: expected a number >= 1, found 0");
    expect(text).toContain('unknown backend "vllm"');
    expect(text).toContain('unknown threshold "ttft_p95"');
    expect(text).toContain('exporter "xlsx": unknown');
  });
});

describe("flags and environment", () => {
  const config = () => writeConfig(tempDir("vbench-cfg-"), [matrixScenario()], { exporters: ["json"] });

  test("bad flag values are all listed, named as typed", async () => {
    const r = await rejected(["--config", await config(), "--num-prompts", "0", "--request-rate=-3", "--max-concurrency", "abc", "--random-input-len", "1.5", "--timeout-s", "0", "--export", "json,xlsx"]);
    const text = r.problems.join("\n");
    expect(text).toContain("--num-prompts: expected a number >= 1, found 0");
    expect(text).toContain("--request-rate: expected a number > 0");
    expect(text).toContain('--max-concurrency: expected a number, found "abc"');
    expect(text).toContain("--random-input-len: expected a whole number, found 1.5");
    expect(text).toContain("--timeout-s: expected a number > 0, found 0");
    expect(text).toContain('exporter "xlsx": unknown');
  });

  test("an unknown backend given as a flag lists the available ones", async () => {
    const text = (await rejected(["--config", await config(), "--backend", "vllm"])).problems.join("\n");
    expect(text).toContain('unknown backend "vllm"; available: openai-chat, openai, tgi');
  });

  test("bad environment variables name the variable", async () => {
    const text = (await rejected(["--config", await config()], { MODEL_ENDPOINT: "not-a-url", REQUEST_RATE: "0" })).problems.join("\n");
    // --base-url wins over MODEL_ENDPOINT, but a bad value is still reported.
    expect(text).toContain('environment MODEL_ENDPOINT: expected an http(s) URL, found "not-a-url"');
    expect(text).toContain("environment REQUEST_RATE: expected a number > 0");
  });

  test("an unknown flag is an error", async () => {
    const r = await rejected(["--config", await config(), "--num-promts", "3"]);
    expect(r.stderr).toContain("unknown flag");
  });

  test("an unknown flag is named as typed, with a suggestion", async () => {
    const r = await rejected(["--config", await config(), "--num-promts", "3"]);
    expect(r.stderr).toContain("--num-promts");
    expect(r.stderr).toContain("--num-prompts");
  });

  test("a --header without a colon is rejected", async () => {
    const r = await rejected(["--config", await config(), "--header", "NoColon"]);
    expect(r.stderr).toContain('--header "NoColon": expected "Name: value"');
  });
});

describe("files the scenario names", () => {
  const config = (extra: Record<string, unknown> = {}) => writeConfig(tempDir("vbench-cfg-"), [{ ...matrixScenario(), ...extra }], { exporters: ["json"] });

  test("a tokenizer file that does not exist", async () => {
    const r = await rejected(["--config", await config(), "--tokenizer", "/nonexistent/tokenizer.json"]);
    expect(r.stderr).toContain("Cannot load tokenizer /nonexistent/tokenizer.json: the file does not exist");
    expect(r.stderr).toContain("hint:");
  });

  test("a tokenizer file that is not a tokenizer", async () => {
    const path = file('{"model": ');
    const r = await rejected(["--config", await config(), "--tokenizer", path]);
    expect(r.stderr).toContain(`Cannot load tokenizer ${path}`);
  });

  test("a dataset file that does not exist", async () => {
    const r = await rejected(["--config", await config({ dataset_type: "jsonl", dataset_path: "/nonexistent/data.jsonl" })]);
    expect(r.stderr).toContain("/nonexistent/data.jsonl");
  });

  test("a malformed dataset file, with its line number", async () => {
    const path = file('{"prompt": "a"}\n{"prompt": \n');
    const r = await rejected(["--config", await config({ dataset_type: "jsonl", dataset_path: path })]);
    expect(r.stderr).toContain(path);
    expect(r.stderr).toMatch(/line 2/);
  });
});
