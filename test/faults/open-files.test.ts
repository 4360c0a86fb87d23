/**
 * The open-file limit caps a run's connections, and Bun reports a socket it
 * could not create as ECONNREFUSED. Through the compiled binary under a low
 * `ulimit -n` (the simulator keeps its own, higher one): a burst that cannot
 * fit is refused before anything is sent; a run that meets the limit later
 * says, on each failed request, that the client's limit refused it; a server
 * that really refuses is still reported as refusing.
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseOpenFileLimit } from "../../src/base/open-files.ts";
import { closedPort } from "./harness.ts";
import { readRunFile, sharedMock, tempDir, truthSummary, vbench } from "../helpers/vbench.ts";

const mock = sharedMock({ ttftMs: 400, itlMs: 5 });

/** Run the binary with soft and hard open-file limits of `files`. */
function withFileLimit(files: number) {
  return (cmd: string[]) => ["sh", "-c", `ulimit -n ${files} && exec "$@"`, "sh", ...cmd];
}

function config(scenario: Record<string, unknown>): string {
  const path = join(tempDir("vbench-files-"), "config.json");
  const base = { name: "files", random_input_len: 8, random_output_len: 4, tokenizer: "gpt2" };
  writeFileSync(path, JSON.stringify({ scenarios: [{ ...base, ...scenario }], exporters: "json" }));
  return path;
}

test("the limit is read from /proc's limits text; unlimited or absent is unknown", () => {
  const limits = [
    "Limit                     Soft Limit           Hard Limit           Units     ",
    "Max processes             95755                95755                processes ",
    "Max open files            1024                 524288               files     ",
  ].join("\n");
  expect(parseOpenFileLimit(limits)).toBe(1024);
  expect(parseOpenFileLimit(limits.replace("1024 ", "unlimited "))).toBeUndefined();
  expect(parseOpenFileLimit("Max processes  10  10  processes")).toBeUndefined();
});

test("a burst wider than the open-file limit is refused before anything is sent, by run and by validate", async () => {
  const path = config({ max_concurrency: 600, num_prompts: 600, request_rate: "inf" });
  const before = (await truthSummary(mock.url)).requestsReceived;
  const outDir = join(tempDir("vbench-files-"), "out");
  for (const command of ["run", "validate"]) {
    const result = await vbench([command, "--config", path, "--base-url", mock.url, "--output-dir", outDir], { wrap: withFileLimit(200) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("max_concurrency: 600 streams at once need 600 connections, but this process may open 200 files (ulimit -n)");
    expect(result.stderr).toContain("Raise the limit above");
  }
  expect((await truthSummary(mock.url)).requestsReceived).toBe(before);
  // The same scenario fits under the machine's usual limit.
  const fits = await vbench(["validate", "--config", path, "--base-url", mock.url, "--output-dir", outDir], { wrap: withFileLimit(4096) });
  expect(fits.code).toBe(0);
});

test("a shard is checked for its own share of the connections", async () => {
  const path = config({ max_concurrency: 600, num_prompts: 600, request_rate: "inf" });
  const outDir = tempDir("vbench-files-");
  const args = ["run", "--config", path, "--base-url", mock.url, "--output-dir", outDir, "--model", "vbench-mock", "--run-id", "files-shard"];
  // 600 at once do not fit beside 300 files; a quarter of them do.
  const whole = await vbench(args, { wrap: withFileLimit(300) });
  expect(whole.code).toBe(2);
  const shard = await vbench([...args, "--shard", "0/4"], { wrap: withFileLimit(300) });
  expect(shard.stderr).not.toContain("ulimit");
  expect(shard.code).toBe(0);
});

test("warm-up requests, which go out together, are counted at any rate", async () => {
  const outDir = tempDir("vbench-files-");
  const path = config({ max_concurrency: 100, num_prompts: 100, request_rate: 10, warmups: 600 });
  const result = await vbench(["validate", "--config", path, "--base-url", mock.url, "--output-dir", outDir], { wrap: withFileLimit(300) });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("600 warm-up requests at once need 600 connections");
});

test("multi-turn sessions are counted by sessions, not by turns", async () => {
  // 200 sessions of 3 turns (600 requests) started at once hold 200 connections: they fit beside 300 files, 400 do not.
  const outDir = tempDir("vbench-files-");
  const check = (sessions: number) =>
    vbench(["validate", "--config", config({ backend: "openai-chat", sessions, turns: 3, think_time_ms: 0, num_prompts: 3 * sessions, request_rate: "inf" }), "--base-url", mock.url, "--output-dir", outDir], { wrap: withFileLimit(300) });
  expect((await check(200)).code).toBe(0);
  const wide = await check(400);
  expect(wide.code).toBe(2);
  expect(wide.stderr).toContain("400 streams at once need 400 connections");
});

test("connections that meet the limit mid-run fail as the client's limit, not as the server refusing", async () => {
  // 300 requests at 3000 req/s, each open 400 ms: ~300 at once, over a limit of 150.
  const outDir = tempDir("vbench-files-");
  const path = config({ max_concurrency: 300, num_prompts: 300, request_rate: 3000 });
  const result = await vbench(["run", "--config", path, "--base-url", mock.url, "--output-dir", outDir, "--model", "vbench-mock"], { wrap: withFileLimit(150) });
  const records = readRunFile(outDir, "requests.jsonl").trim().split("\n").map((line) => JSON.parse(line));
  const failed = records.filter((r) => !r.success);
  expect(records).toHaveLength(300);
  expect(failed.length).toBeGreaterThan(0);
  expect(records.some((r) => r.success)).toBe(true);
  for (const r of failed) {
    expect(r.error.category).toBe("connect");
    expect(r.error.message).toMatch(/^cannot connect to http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED from the client's own open-file limit, not the server: this process had \d+ of the 150 files it may open \(ulimit -n\) in use/);
  }
  expect(result.stderr).toContain("ECONNREFUSED from the client's own open-file limit, not the server: this process had");
});

test("a server that refuses is still reported as refusing", async () => {
  const outDir = tempDir("vbench-files-");
  const path = config({ max_concurrency: 2, num_prompts: 2 });
  const result = await vbench(["run", "--config", path, "--base-url", `http://127.0.0.1:${closedPort()}`, "--output-dir", outDir, "--model", "m"]);
  expect(result.stderr).toContain("ECONNREFUSED");
  expect(result.stderr).not.toContain("ulimit");
});

test("calibrate refuses a --max-streams the open-file limit cannot hold, before starting a level", async () => {
  const result = await vbench(["calibrate", "--max-streams", "1000"], { wrap: withFileLimit(300) });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/1000 streams need as many connections, but this process may open 300 files \(ulimit -n\): set --max-streams \d+ at most/);
});

test("the simulator says how many connections its open-file limit holds: one past it waits unanswered", async () => {
  const result = await vbench(["mock", "--port", "0"], { wrap: withFileLimit(100), timeoutMs: 1500 });
  const line = /vbench mock: this process may open 100 files \(ulimit -n\): connections beyond ~(\d+) at once wait unanswered/.exec(result.stderr);
  expect(line).not.toBeNull();
  // The files it already holds (listening socket, event loop, stdio) come off the 100.
  expect(Number(line![1])).toBeGreaterThan(50);
  expect(Number(line![1])).toBeLessThan(100);
});
