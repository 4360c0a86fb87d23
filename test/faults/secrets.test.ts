/**
 * Secrets and output safety, through the compiled binary. An API key
 * (OPENAI_API_KEY, sent as a bearer token) and secret headers (from the
 * scenario file or --header) never appear in anything a run writes: logs,
 * results, exports, stdout or stderr. Text from the server is printed with
 * terminal control sequences stripped.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFault } from "../../src/mock/faults.ts";
import { startMock, tempDir, vbench, writeConfig, type RunOutput, sharedMock } from "../helpers/vbench.ts";
import { ANSI_BODY } from "./cases.ts";
import { filesUnder, findFile, matrixScenario } from "./harness.ts";

const API_KEY = "sk-vbench-secret-1234";
const FILE_TOKEN = "tok-file-secret-5678";
const FLAG_KEY = "s3cret-flag-9012";
const SECRETS = [API_KEY, FILE_TOKEN, FLAG_KEY];
const EXPORTERS = ["json", "csv", "msgpack", "prometheus", "html"];

/** Every place a secret could leak: each file the run wrote (bytes, so msgpack counts) and both streams. */
function leaks(run: RunOutput, dirs: string[]): string[] {
  const found: string[] = [];
  const places: [string, string][] = [["stdout", run.stdout], ["stderr", run.stderr]];
  for (const dir of dirs) for (const file of filesUnder(dir)) places.push([file, readFileSync(file, "latin1")]);
  for (const [where, text] of places) for (const secret of SECRETS) if (text.includes(secret)) found.push(`${secret} in ${where}`);
  return found;
}

describe("secrets never reach logs, results or exports", () => {
  // A failing request too, so error paths write their messages.
  const mock = sharedMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("status=401@at:2")] });

  test("API key and secret headers from the scenario file", async () => {
    const dir = tempDir("vbench-secret-");
    const out = join(dir, "out");
    const config = await writeConfig(dir, [{ ...matrixScenario(), headers: { "X-Auth-Token": FILE_TOKEN, "X-Team": "visible-team" } }], { exporters: EXPORTERS });
    const run = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out], { env: { OPENAI_API_KEY: API_KEY } });
    // Its one failed request fails the implicit success_rate: exit 4, every result still written.
    expect(run.code).toBe(4);
    expect(leaks(run, [out])).toEqual([]);
    // Not vacuous: the headers are in the results, the secret one redacted, the plain one kept.
    const results = JSON.parse(readFileSync(findFile(filesUnder(out), "benchmark_results.json")!, "utf8"));
    expect(results.vbench.config.headers).toEqual({ "X-Auth-Token": "<redacted>", "X-Team": "visible-team" });
    expect(results.failed).toBe(1);
    expect(filesUnder(out).map((f) => f.split("/").pop())).toEqual(expect.arrayContaining(["raw.msgpack", "metrics.prom", "requests.csv", "requests.jsonl"]));

    // Re-rendering from raw.msgpack cannot bring them back either.
    const again = join(dir, "export");
    const exported = await vbench(["export", findFile(filesUnder(out), "raw.msgpack")!, "--format", "json,csv,prometheus", "--out-dir", again]);
    expect(exported.code).toBe(0);
    expect(filesUnder(again).length).toBeGreaterThan(0);
    expect(leaks(exported, [again])).toEqual([]);
  });

  test("a secret header given with --header", async () => {
    const dir = tempDir("vbench-secret-");
    const out = join(dir, "out");
    const config = await writeConfig(dir, [matrixScenario()], { exporters: EXPORTERS });
    const run = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out, "--header", `X-Api-Key: ${FLAG_KEY}`], { env: { OPENAI_API_KEY: API_KEY } });
    expect(run.code).toBe(0);
    expect(leaks(run, [out])).toEqual([]);
    const results = JSON.parse(readFileSync(findFile(filesUnder(out), "benchmark_results.json")!, "utf8"));
    expect(results.vbench.config.headers["X-Api-Key"]).toBe("<redacted>");
  });

  test("preflight failures do not print the key either", async () => {
    const dir = tempDir("vbench-secret-");
    const run = await vbench(["run", "--config", await writeConfig(dir, [matrixScenario()]), "--base-url", "http://127.0.0.1:9", "--output-dir", join(dir, "out"), "--header", `X-Api-Key: ${FLAG_KEY}`], { env: { OPENAI_API_KEY: API_KEY } });
    expect(run.code).toBe(3);
    expect(leaks(run, [join(dir, "out")])).toEqual([]);
  });

  test("configuration errors do not echo header values", async () => {
    const dir = tempDir("vbench-secret-");
    const path = join(dir, "c.json");
    await Bun.write(path, JSON.stringify({ scenarios: [{ name: "a", headers: `Authorization: Bearer ${API_KEY}` }, { name: "b", headers: { "X-Api-Key": 12345678 } }] }));
    const run = await vbench(["run", "--config", path, "--output-dir", join(dir, "out")]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain(API_KEY);
    expect(run.stderr).not.toContain("12345678");
  });

  test("`vbench validate` redacts secret header values in the plan it prints", async () => {
    const run = await vbench(["validate", "--config", "configs/demo.json", "--header", `X-Api-Key: ${FLAG_KEY}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(FLAG_KEY);
  });
});

describe("server text on the terminal", () => {
  const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

  test("a model id with escape sequences is printed without them", async () => {
    const mock = await startMock({ ttftMs: 2, itlMs: 1, model: "evil\x1b[31m-red\x1b]0;pwned\x07" });
    try {
      const dir = tempDir("vbench-ansi-");
      const run = await vbench(["run", "--config", await writeConfig(dir, [matrixScenario()]), "--base-url", mock.url, "--output-dir", join(dir, "out")]);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("model evil-red");
      expect(run.stderr.replace(/\r/g, "")).not.toMatch(CONTROL);
    } finally {
      await mock.stop();
    }
  });

  test("the initial test request's error body is printed without escape sequences (exit 3)", async () => {
    const mock = await startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault(`status=500:${ANSI_BODY}@at:0`)] });
    try {
      const dir = tempDir("vbench-ansi-");
      const run = await vbench(["run", "--config", await writeConfig(dir, [matrixScenario()]), "--base-url", mock.url, "--output-dir", join(dir, "out")]);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("HTTP 500");
      expect(run.stderr).toContain("RED");
      expect(run.stderr.replace(/\r/g, "")).not.toMatch(CONTROL);
    } finally {
      await mock.stop();
    }
  });

  test("a served-model list with escape sequences in an error hint is printed without them", async () => {
    const mock = await startMock({ model: "evil\x1b[2J" });
    try {
      const dir = tempDir("vbench-ansi-");
      const run = await vbench(["run", "--config", await writeConfig(dir, [matrixScenario()]), "--base-url", mock.url, "--output-dir", join(dir, "out")], { env: { MODEL_NAME: "other" } });
      expect(run.code).toBe(3);
      expect(run.stderr).not.toContain("\x1b");
    } finally {
      await mock.stop();
    }
  });
});
