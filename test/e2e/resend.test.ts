/**
 * `vbench run` (compiled binary) against a server that closes every kept-alive
 * connection, without a byte, at its second request: each such request is
 * sent once more on a new connection and the run says so, per request in
 * requests.jsonl and in total in benchmark_results.json and the report.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startDropServer } from "../helpers/drop-server.ts";
import { tempDir, vbench, writeConfig } from "../helpers/vbench.ts";

test("every re-send is on its record and counted; the server answered each request exactly once", async () => {
  const server = startDropServer();
  try {
    const dir = tempDir("vbench-resend-");
    const out = join(dir, "out");
    const scenario = { name: "resend", backend: "openai-chat", num_prompts: 4, max_concurrency: 1, random_input_len: 8, random_output_len: 3 };
    const config = await writeConfig(dir, [scenario], { exporters: ["json"] });
    const r = await vbench(["run", "--config", config, "--base-url", server.url, "--output-dir", out]);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(out, { recursive: true }) as string[];
    const doc = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith("benchmark_results.json"))!), "utf8"));
    const lines = readFileSync(join(out, files.find((f) => f.endsWith("requests.jsonl"))!), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(doc).toMatchObject({ completed: 4, failed: 0 });

    // The server's view: a request id arriving twice was dropped once (on a reused connection), then answered.
    const seen = new Map<string, boolean[]>();
    for (const a of server.arrivals) seen.set(a.requestId, [...(seen.get(a.requestId) ?? []), a.dropped]);
    const run = lines.map((l) => seen.get(l.request_id));
    expect(run.every((d) => d !== undefined && (d.length === 1 ? !d[0] : d.length === 2 && d[0] && !d[1]))).toBe(true);
    const resentByServer = run.filter((d) => d!.length === 2).length;
    expect(resentByServer).toBeGreaterThan(0);

    // vbench's view agrees, request by request and in total.
    expect(lines.map((l) => (l.resent ?? 0) === 1)).toEqual(run.map((d) => d!.length === 2));
    for (const l of lines.filter((x) => x.resent)) expect(l.first_sent_ms).toBeLessThan(l.sent_ms);
    expect(doc.vbench.resent_requests.count).toBe(resentByServer);
    expect(r.stderr).toContain(`Re-sent requests:                        ${resentByServer} (kept-alive connection closed before any response`);
  } finally {
    server.stop();
  }
}, 60_000);
