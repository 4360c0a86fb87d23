/**
 * Every workload type end to end: the compiled binary, the example scenario
 * files in configs/, and the simulator (or a recording server) on 127.0.0.1.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";
import { startRecordingServer } from "../helpers/recording-server.ts";

function results(dir: string): Record<string, any>[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((e) => e.endsWith("benchmark_results.json"))
    .sort()
    .map((e) => JSON.parse(readFileSync(join(dir, e), "utf8")));
}

const mock = sharedMock({ ttftMs: 5, itlMs: 1 });

describe("each example workload file runs against the simulator", () => {
  const cases: [string, string[]][] = [
    ["configs/workload-synthetic.json", ["--num-prompts", "12"]],
    ["configs/workload-sharegpt.json", ["--num-prompts", "12"]],
    ["configs/workload-jsonl.json", ["--num-prompts", "12"]],
    ["configs/workload-prefix.json", ["--num-prompts", "12"]],
    ["configs/workload-sessions.json", ["--scenario", "sessions_from_jsonl"]],
  ];
  test.each(cases)("%s", async (config, extra) => {
    const out = tempDir();
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out, "--random-output-len", "4", ...extra]);
    expect(r.stderr).toContain("Serving Benchmark Result");
    expect(r.code).toBe(0);
    const docs = results(out);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.failed).toBe(0);
      expect(doc.completed).toBeGreaterThan(0);
    }
  }, 120_000);
});

describe("multi-turn sessions", () => {
  test("report TTFT per turn and send every turn", async () => {
    const out = tempDir();
    const config = await writeConfig(out, [{ name: "chat", sessions: 3, turns: 3, think_time_ms: 10, max_concurrency: 2, random_input_len: 16, random_output_len: 4 }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out]);
    expect(r.code).toBe(0);
    for (const turn of [1, 2, 3]) expect(r.stderr).toMatch(new RegExp(`Turn ${turn} \\(ms\\):\\s+TTFT mean [\\d.]+, median [\\d.]+; E2EL mean [\\d.]+ \\(3 requests\\)`));
    const doc = results(out)[0]!;
    expect(doc.completed).toBe(9);
    expect(doc.vbench.client.per_turn.map((t: { turn: number }) => t.turn)).toEqual([0, 1, 2]);
  }, 60_000);

  test("later turns carry the growing history", async () => {
    const server = await startRecordingServer();
    try {
      const out = tempDir();
      const config = await writeConfig(out, [{ name: "chat", sessions: 1, turns: 3, random_input_len: 8, random_output_len: 2 }]);
      const r = await vbench(["run", "--config", config, "--base-url", server.url, "--output-dir", out]);
      expect(r.code).toBe(0);
      const turns = server.bodies.slice(1).map((b) => JSON.parse(b).messages as { role: string; content: string }[]);
      expect(turns.map((m) => m.length)).toEqual([1, 3, 5]);
      expect(turns[2]!.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
      expect(turns[1]![1]!.content).toBe(" w w");
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe("determinism", () => {
  test.each(["random", "synthetic", "prefix", "jsonl", "sharegpt"])("%s: same seed, byte-identical request sequence; another seed differs", async (type) => {
    const server = await startRecordingServer();
    try {
      const out = tempDir();
      const options: Record<string, unknown> = {
        random: {},
        synthetic: { input_distribution: { type: "uniform", min: 4, max: 40 }, output_distribution: { type: "uniform", min: 1, max: 4 } },
        prefix: { num_prefix_groups: 2, prefix_len: 16 },
        jsonl: { dataset_path: "test/fixtures/datasets/prompts.jsonl" },
        sharegpt: { dataset_path: "test/fixtures/datasets/sharegpt-mini.json" },
      }[type] as Record<string, unknown>;
      const config = await writeConfig(out, [{ name: "d", dataset_type: type, num_prompts: 8, max_concurrency: 1, random_input_len: 24, random_output_len: 2, ...options }]);
      const run = async (seed: string) => {
        server.bodies.length = 0;
        const r = await vbench(["run", "--config", config, "--base-url", server.url, "--output-dir", join(out, seed + Math.random()), "--seed", seed]);
        expect(r.code).toBe(0);
        return [...server.bodies];
      };
      const a = await run("7");
      const b = await run("7");
      const c = await run("8");
      expect(a.length).toBe(9); // the initial test request and 8 measured ones
      expect(b).toEqual(a);
      if (type !== "jsonl" || a.length > 0) expect(c).not.toEqual(a);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe("trace replay", () => {
  test("time_scale 10: requests are released at their scaled timestamps, never before, and reach the server in that order", async () => {
    const out = tempDir();
    const config = await writeConfig(out, [{ name: "t", dataset_type: "trace", dataset_path: "test/fixtures/datasets/trace.jsonl", time_scale: 10, num_prompts: 5 }]);
    const before = ((await (await fetch(`${mock.url}/_truth`)).json()) as unknown[]).length;
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out]);
    expect(r.code).toBe(0);
    const truth = ((await (await fetch(`${mock.url}/_truth`)).json()) as { requestId: string; receivedAtMs: number }[]).slice(before);
    const measured = truth.filter((t) => /-t-\d+$/.test(t.requestId));
    expect(measured).toHaveLength(5);
    const recordsFile = (readdirSync(out, { recursive: true }) as string[]).find((e) => e.endsWith("requests.jsonl"))!;
    const records = readFileSync(join(out, recordsFile), "utf8").trim().split("\n").map((l) => JSON.parse(l)).sort((a, b) => a.index - b.index);
    // The trace's arrivals (ms): 1000, 1250, 1250, 2000, 3500 → offsets 0, 25, 25, 100, 250 at time_scale 10.
    expect(records.map((x) => x.scheduled_ms)).toEqual([0, 25, 25, 100, 250]);
    // Sent at or after its time (how late is the reported lag: a bound on it would be a wall-clock threshold).
    for (const rec of records) expect(rec.sent_ms).toBeGreaterThanOrEqual(rec.scheduled_ms - 0.001);
    // The server saw each scaled step (25, 75, 150 ms apart) in order.
    const seenAt = (i: number) => truth.find((t) => t.requestId === records[i].request_id)!.receivedAtMs;
    for (const [earlier, later] of [[0, 1], [0, 2], [2, 3], [3, 4]]) expect(seenAt(later!)).toBeGreaterThan(seenAt(earlier!));
  }, 60_000);
});
