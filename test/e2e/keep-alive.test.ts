/**
 * A run against a server that closes idle keep-alive connections after 1 s
 * (the simulator's llama-server mode) with think times longer than that:
 * every request succeeds, the server receives each exactly once, and the
 * client never sends on a connection the server closed. Compiled binary and
 * simulator in their own processes, over 127.0.0.1.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startMock, tempDir, truthSummary, vbench, writeConfig } from "../helpers/vbench.ts";

test("multi-turn sessions with 1.5 s think times against a 1 s keep-alive limit", async () => {
  const mock = await startMock({ keepAliveTimeoutS: 1, ttftMs: 5, itlMs: 2 });
  try {
    const dir = tempDir("vbench-keepalive-");
    const out = join(dir, "out");
    const scenario = { name: "pauses", sessions: 2, turns: 2, think_time_ms: 1500, max_concurrency: 2, random_input_len: 8, random_output_len: 4 };
    const config = await writeConfig(dir, [scenario], { exporters: ["json"] });
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out]);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(out, { recursive: true }) as string[];
    const doc = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith("benchmark_results.json"))!), "utf8"));
    expect(doc.completed).toBe(4);
    expect(doc.failed).toBe(0);
    // The initial test request and the four turns, each received once.
    expect((await truthSummary(mock.url)).requestsReceived).toBe(5);
    const mainLog = readFileSync(join(out, files.find((f) => f.startsWith("vllm_benchmark_main_"))!), "utf8");
    expect(mainLog).toMatch(/connections of this thread so far: \d+ opened, \d+ reuses, [1-9]\d* idle ones closed unused \(server keep-alive limit\), 0 requests re-sent/);
  } finally {
    await mock.stop();
  }
}, 60_000);
