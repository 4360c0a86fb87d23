/**
 * `vbench validate` rejects what `vbench run` would reject before its first
 * byte, with the same message naming the file and JSON path (or the flag):
 * each case goes through the compiled binary twice, as validate and as a run
 * against the simulator, which must receive no request.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, truthSummary, vbench, sharedMock } from "../helpers/vbench.ts";
import { matrixScenario } from "./harness.ts";

const CONFIG_EXIT = 2;

const mock = sharedMock({ ttftMs: 1, itlMs: 1 });

/** The error line and its `  - ` details. */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("vbench: error:") || l.startsWith("  - "));
}

/** `validate` and `run` with the same arguments: both exit 2 with the same error lines, and nothing reaches the server. */
async function bothReject(args: string[]): Promise<string> {
  const outDir = join(tempDir("vbench-validate-"), "out");
  const common = ["--base-url", mock.url, ...(args.includes("--output-dir") ? [] : ["--output-dir", outDir]), ...args];
  const validated = await vbench(["validate", ...common]);
  expect(validated.stderr).not.toContain("internal error");
  if (validated.code !== CONFIG_EXIT) throw new Error(`validate exited ${validated.code}, expected ${CONFIG_EXIT}; stderr:\n${validated.stderr}`);
  expect(validated.stdout).toBe("");
  const before = (await truthSummary(mock.url)).requestsReceived;
  const ran = await vbench(["run", ...common]);
  if (ran.code !== CONFIG_EXIT) throw new Error(`run exited ${ran.code}, expected ${CONFIG_EXIT}; stderr:\n${ran.stderr}`);
  expect((await truthSummary(mock.url)).requestsReceived).toBe(before);
  expect(errorLines(ran.stderr)).toEqual(errorLines(validated.stderr));
  return errorLines(validated.stderr).join("\n");
}

function write(name: string, text: string): string {
  const path = join(tempDir("vbench-validate-"), name);
  writeFileSync(path, text);
  return path;
}

const config = (scenario: Record<string, unknown>, extra: Record<string, unknown> = {}) => write("config.json", JSON.stringify({ scenarios: [{ ...matrixScenario(), ...scenario }], ...extra }));

describe("validate rejects what run rejects, with the same message", () => {
  test('dataset_type "csv": the file, the JSON path and the known types', async () => {
    const path = config({ dataset_type: "csv" });
    const text = await bothReject(["--config", path]);
    expect(text).toContain(`${path}: scenarios[0].dataset_type: unknown dataset type "csv"; available: random, synthetic, jsonl, sharegpt, trace, prefix`);
  });

  test("a jsonl scenario without dataset_path", async () => {
    const path = config({ dataset_type: "jsonl" });
    expect(await bothReject(["--config", path])).toContain(`${path}: scenarios[0].dataset_path: missing: dataset_type "jsonl" needs dataset_path`);
  });

  test("num_prompts 1e20", async () => {
    const path = write("config.json", `{"scenarios": [{"name": "big", "num_prompts": 1e20, "max_concurrency": 4}]}`);
    expect(await bothReject(["--config", path])).toContain(`${path}: scenarios[0].num_prompts: expected a number <= 2147483647, found 100000000000000000000`);
  });

  test("the first malformed line of a dataset file, as file:line under its JSON path", async () => {
    const data = write("data.jsonl", '{"prompt": "a"}\n{"prompt": "b"}\n{"prompt": \n{"prompt": 3}\n');
    const path = config({ dataset_type: "jsonl", dataset_path: data });
    expect(await bothReject(["--config", path])).toContain(`${path}: scenarios[0].dataset_path: ${data} line 3: not valid JSON`);
  });

  test("a dataset file that is a directory", async () => {
    const dir = tempDir("vbench-validate-");
    const path = config({ dataset_type: "sharegpt", dataset_path: dir });
    expect(await bothReject(["--config", path])).toContain(`${path}: scenarios[0].dataset_path: Cannot read the sharegpt dataset file ${dir}: not a regular file`);
  });

  test("a tokenizer file that does not exist, named by its flag", async () => {
    const text = await bothReject(["--config", config({}), "--tokenizer", "/nonexistent/tokenizer.json"]);
    expect(text).toContain("--tokenizer: Cannot load tokenizer /nonexistent/tokenizer.json: the file does not exist");
  });

  test("a tokenizer named in the file that is not a tokenizer", async () => {
    const tokenizer = write("tokenizer.json", '{"version": "1.0"}');
    const path = config({ tokenizer });
    expect(await bothReject(["--config", path])).toContain(`${path}: scenarios[0].tokenizer: Cannot load tokenizer ${tokenizer}: it is not a Hugging Face tokenizer.json`);
  });

  test("an output directory with a file in the way", async () => {
    const blocker = write("not-a-dir", "x");
    const text = await bothReject(["--config", config({}), "--output-dir", join(blocker, "out")]);
    expect(text).toContain(`output directory ${join(blocker, "out")} is not usable`);
  });

  test("a plugin file that does not exist, from the file and from --plugin", async () => {
    const path = config({}, { plugins: ["no-such-plugin.ts"] });
    expect(await bothReject(["--config", path])).toContain(`${path}: plugins[0]: plugin file not found:`);
    expect(await bothReject(["--config", config({}), "--plugin", "/nonexistent/plugin.ts"])).toContain("--plugin: plugin file not found: /nonexistent/plugin.ts");
  });

  test("every problem at once: a bad tokenizer, a malformed dataset and an unusable output directory", async () => {
    const data = write("data.jsonl", "not json\n");
    const blocker = write("not-a-dir", "x");
    const path = config({ dataset_type: "jsonl", dataset_path: data });
    const text = await bothReject(["--config", path, "--tokenizer", "/nonexistent/tokenizer.json", "--output-dir", join(blocker, "out")]);
    expect(text).toContain("problems found before sending; nothing was sent");
    expect(text).toContain(`output directory ${join(blocker, "out")} is not usable`);
    expect(text).toContain("--tokenizer: Cannot load tokenizer /nonexistent/tokenizer.json");
  });
});

describe("validate accepts what run accepts, and creates nothing", () => {
  test("a good jsonl scenario: exit 0, the resolved scenario on stdout, no output directory made", async () => {
    const data = write("data.jsonl", '{"prompt": "hello there"}\n{"messages": [{"role": "user", "content": "hi"}]}\n');
    const outDir = join(tempDir("vbench-validate-"), "not", "yet");
    const r = await vbench(["validate", "--config", config({ dataset_type: "jsonl", dataset_path: data }), "--output-dir", outDir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).runs[0].datasetType).toBe("jsonl");
    expect(existsSync(join(outDir, ".."))).toBe(false);
  });
});

describe("flags", () => {
  test("--num-prompts -1 is a bad count, not an unknown flag", async () => {
    const r = await vbench(["validate", "--num-prompts", "-1"]);
    expect(r.code).toBe(CONFIG_EXIT);
    expect(r.stderr).not.toContain("unknown flag");
    expect(r.stderr).toContain("--num-prompts: expected a number >= 1, found -1");
  });

  test("--seed -5 is a seed (negative values reach the value flags)", async () => {
    const r = await vbench(["validate", "--seed", "-5", "--num-prompts", "3"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).runs[0].seed).toBe(-5);
  });

  test("--backend tgx names the flag, not a scenario of a file", async () => {
    const r = await vbench(["validate", "--config", config({}), "--backend", "tgx"]);
    expect(r.code).toBe(CONFIG_EXIT);
    expect(errorLines(r.stderr)).toContain('  - --backend: unknown backend "tgx" (did you mean "tgi"?); available: openai-chat, openai, tgi');
  });

  test("mock --help: the flag that turns exact counts off is not shown with (default: true)", async () => {
    const r = await vbench(["mock", "--help"]);
    const line = r.stdout.split("\n").find((l) => l.includes("--no-exact-prompt-tokens"))!;
    expect(line).toContain("ceil(chars/4)");
    expect(line).not.toContain("(default: true)");
  });
});
