/**
 * The monitoring flags of the compiled binary, run as the README's pipeline section
 * writes them: `--export clickhouse` (+ `vbench export --format clickhouse`
 * re-sending idempotently) into a real ClickHouse, `--push-gateway` into a
 * real Pushgateway, and `--metrics-port` scraped DURING a run and checked
 * with promtool.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { chQuery, clickhouseConnection } from "../../src/monitoring/clickhouse-http.ts";
import { BINARY, REPO, startMock, tempDir, vbench } from "../helpers/vbench.ts";
import { docBlock, docBlocks, localize, runScript } from "../container/doc-blocks.ts";
import { freePort, requireBinary, startClickHouse, startPushgateway, type TestServer } from "./servers.ts";

function checkout(): string {
  const dir = tempDir("vbench-docs-");
  mkdirSync(join(dir, "configs"), { recursive: true });
  cpSync(join(REPO, "configs/vllm_benchmark.json"), join(dir, "configs/vllm_benchmark.json"));
  return dir;
}

function promtoolCheck(text: string): { exitCode: number; output: string } {
  const p = Bun.spawnSync([requireBinary("promtool", "prometheus"), "check", "metrics"], { stdin: new TextEncoder().encode(text) });
  return { exitCode: p.exitCode, output: p.stdout.toString() + p.stderr.toString() };
}

describe("monitoring flags of vbench run, as documented", () => {
  let mock: SpawnedMock;
  let ch: TestServer;
  let gw: TestServer;

  beforeAll(async () => {
    [mock, ch, gw] = await Promise.all([startMock({ ttftMs: 1, itlMs: 0 }), startClickHouse("unused"), startPushgateway()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([mock?.stop(), ch?.stop(), gw?.stop()]);
  });

  test("every vbench flag the document uses is in `vbench run --help`", async () => {
    const help = (await vbench(["run", "--help"])).stdout;
    let checked = 0;
    for (const block of docBlocks().values()) {
      for (const line of block.replace(/\\\n/g, " ").split("\n").filter((l) => /^vbench run /.test(l))) {
        for (const flag of line.match(/--[a-z][a-z-]+/g) ?? []) {
          expect(help).toContain(`  ${flag} `);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(8);
  });

  test("ClickHouse: run with --export clickhouse, query as documented, re-send with vbench export: still one row", async () => {
    const dir = checkout();
    const urls = { model: mock.url, clickhouse: ch.url };
    const first = await runScript(localize(`${docBlock("clickhouse-run")}\n${docBlock("clickhouse-query")}`, urls), dir);
    expect([0, 4], first.stderr).toContain(first.code);
    const rows = first.stdout.trim().split("\n");
    expect(rows[0]).toBe("scenario\tcompleted\tfailed\tttft_p95_ms\toutput_throughput\tpassed");
    expect(rows).toHaveLength(2);
    const results = join(dir, "benchmark_results");
    const doc = JSON.parse(readFileSync(join(results, (readdirSync(results, { recursive: true }) as string[]).find((f) => f.endsWith("benchmark_results.json"))!), "utf8"));
    const [scenario, completed, failed, ttftP95, outputThroughput, passed] = rows[1]!.split("\t");
    expect(scenario).toBe("basic_performance");
    expect(Number(completed)).toBe(doc.completed);
    expect(Number(failed)).toBe(doc.failed);
    expect(Number(ttftP95)).toBeCloseTo(doc.p95_ttft_ms, 9);
    expect(Number(outputThroughput)).toBeCloseTo(doc.output_throughput, 9);
    expect(Number(passed)).toBe(doc.vbench.passed ? 1 : 0);

    const again = await runScript(localize(`export CLICKHOUSE_URL=${ch.url}\n${docBlock("clickhouse-resend")}\n${docBlock("clickhouse-query")}`, urls), dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split("\n")).toEqual(rows);
    const conn = clickhouseConnection(ch.url);
    expect((await chQuery(conn, "SELECT count() FROM vbench.runs")).trim()).toBe("2"); // two inserts until a merge
    expect((await chQuery(conn, "SELECT count() FROM vbench.runs FINAL")).trim()).toBe("1");
  });

  test("ClickHouse unreachable: the run stops before any traffic (exit 3)", async () => {
    const dir = checkout();
    const r = await vbench(["run", "--config", "configs/vllm_benchmark.json", "--base-url", mock.url, "--export", "json,clickhouse", "--clickhouse-url", "http://127.0.0.1:9"], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("ClickHouse at http://127.0.0.1:9");
  });

  test("Pushgateway: --push-gateway alone pushes the final metrics; PUSHGATEWAY_URL does the same", async () => {
    const r = await runScript(localize(docBlock("pushgateway"), { model: mock.url, pushgateway: gw.url }), checkout());
    expect(r.stderr).toContain(`Pushed metrics of 1 scenario run(s) to ${gw.url}/metrics/job/vbench`);
    expect(r.stdout).toMatch(/^vbench_run_passed\{backend="openai-chat",instance="",job="vbench",model="vbench-mock",scenario="basic_performance"\} [01]\n$/);
    const env = await vbench(["run", "--config", "configs/vllm_benchmark.json", "--base-url", mock.url], { cwd: checkout(), env: { PUSHGATEWAY_URL: gw.url } });
    expect(env.stderr).toContain(`Pushed metrics of 1 scenario run(s) to ${gw.url}/metrics/job/vbench`);
  });

  test("--metrics-port: /metrics scraped during the run passes promtool and shows the request in flight", async () => {
    const slow = await startMock({ ttftMs: 50, itlMs: 1 }); // 1024 tokens: about a second per request
    try {
      const port = freePort();
      const command = localize(docBlock("live"), { model: slow.url }, [["9400", String(port)]]).trim().split(/\s+/);
      expect(command[0]).toBe("vbench");
      const proc = Bun.spawn([BINARY, ...command.slice(1), "--metrics-host", "127.0.0.1"], { cwd: checkout(), env: { PATH: process.env.PATH! }, stdout: "pipe", stderr: "pipe" });
      const stderr = new Response(proc.stderr).text();
      let exited = false;
      void proc.exited.then(() => (exited = true));
      let during = "";
      while (!exited) {
        const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => "");
        if (/^vbench_live_requests_in_flight\{.*\} 1$/m.test(text)) {
          during = text;
          break;
        }
        await Bun.sleep(20);
      }
      const code = await proc.exited;
      expect(during, await stderr).not.toBe("");
      expect(promtoolCheck(during)).toEqual({ exitCode: 0, output: "" });
      expect(during).toMatch(/^vbench_live_scenario_running\{scenario="basic_performance",model="vbench-mock",backend="openai-chat"\} 1$/m);
      // The initial test request is not part of the measured run: one dispatched, none finished yet.
      expect(during).toMatch(/^vbench_live_requests_dispatched_total\{.*\} 1$/m);
      expect(during).toMatch(/^vbench_live_requests_completed_total\{.*\} 0$/m);
      expect([0, 4]).toContain(code);
      expect(await stderr).toContain(`Live metrics: http://127.0.0.1:${port}/metrics`);
    } finally {
      await slow.stop();
    }
  });
});
