/**
 * The clickhouse exporter against a REAL ClickHouse server (Debian's
 * clickhouse-server 18.16, started by the test on 127.0.0.1): a real run of
 * the compiled binary against the simulator, its raw.msgpack decoded and
 * exported, then read back and compared with benchmark_results.json.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExportContext } from "../../src/base/plugin-types.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { decodeRaw } from "../../src/results/raw-records.ts";
import { chQuery, chSelect, clickhouseConnection } from "../../src/monitoring/clickhouse-http.ts";
import { RUN_COLUMNS } from "../../src/monitoring/clickhouse-rows.ts";
import { parseFault } from "../../src/mock/faults.ts";
import clickhouse from "../../plugins/exporters/clickhouse.ts";
import { startMock, tempDir, vbench, writeConfig } from "../helpers/vbench.ts";
import { startClickHouse, type TestServer } from "./servers.ts";
import { REPO } from "../helpers/vbench.ts";
import { rejection } from "../helpers/errors.ts";

const PASSWORD = "s3cret-Pa55-ch";

function files(dir: string, name: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(name)).sort().map((f) => join(dir, f));
}

function ctx(options: Record<string, unknown>, logs: string[] = []): ExportContext {
  return { scenarioDir: "/nonexistent", outputDir: "/nonexistent", parsedDir: "/nonexistent", options, log: (m) => logs.push(m) };
}

async function exportAll(results: ScenarioResult[], options: Record<string, unknown>, logs: string[] = []): Promise<void> {
  await clickhouse.preflight!(ctx(options, logs));
  for (const r of results) await clickhouse.write(r, ctx(options, logs));
  await clickhouse.finish!(results, ctx(options, logs));
}

const thrown = rejection;

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

describe("clickhouse exporter against clickhouse-server", () => {
  let ch: TestServer;
  let results: ScenarioResult[];
  let docs: Record<string, unknown>[];
  const conn = () => clickhouseConnection(ch.url);

  beforeAll(async () => {
    ch = await startClickHouse(PASSWORD);
    // Request 3 (the second of the first scenario after the initial test request) fails: a failure category to store.
    const mock = await startMock({ ttftMs: 5, itlMs: 2, faults: [parseFault("status=500@at:3")] });
    try {
      const dir = tempDir();
      const config = await writeConfig(dir, [
        { name: "ch_small", num_prompts: 6, max_concurrency: 2, random_input_len: 32, random_output_len: 8 },
        { name: "ch_rate", num_prompts: 5, request_rate: 200, random_input_len: 16, random_output_len: 4, metric_percentiles: "50,99,99.9", thresholds: { ttft_p99_ms: 100000, success_rate: 0.99 } },
      ]);
      const run = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out"), "--export", "json,msgpack"]);
      if (run.code !== 0 && run.code !== 4) throw new Error(`vbench run failed (${run.code}):\n${run.stderr}`);
      results = await Promise.all(files(join(dir, "out"), "raw.msgpack").map(async (f) => decodeRaw(new Uint8Array(readFileSync(f)))));
      docs = files(join(dir, "out"), "benchmark_results.json").map((f) => JSON.parse(readFileSync(f, "utf8")));
    } finally {
      await mock.stop();
    }
    expect(results).toHaveLength(2);
  }, 90_000);
  afterAll(async () => {
    await ch?.stop();
  });

  test("preflight creates the database and a ReplacingMergeTree table keyed by run", async () => {
    await clickhouse.preflight!(ctx({ url: ch.url, database: "vb_pre" }));
    const create = await chQuery(conn(), "SHOW CREATE TABLE vb_pre.runs");
    expect(create).toContain("ENGINE = ReplacingMergeTree(exported_at)");
    expect(create).toContain("ORDER BY (run_id, scenario, variant)");
    const cols = await chSelect<{ name: string }>(conn(), "SELECT name FROM system.columns WHERE database = 'vb_pre' AND table = 'runs'");
    expect(cols.map((c) => c.name)).toEqual(RUN_COLUMNS.map((c) => c.name));
    // per_request adds the requests table.
    await clickhouse.preflight!(ctx({ url: ch.url, database: "vb_pre", per_request: true }));
    expect((await chQuery(conn(), "EXISTS TABLE vb_pre.requests")).trim()).toBe("1");
  });

  test("one row per scenario run with the same numbers as benchmark_results.json", async () => {
    await exportAll(results, { url: ch.url, database: "vb_main" });
    const runId = results[0]!.run.runId;
    const rows = await chSelect(conn(), `SELECT * FROM vb_main.runs FINAL WHERE run_id = '${runId}' ORDER BY scenario`);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const doc = docs.find((d) => (d.vbench as { scenario: string }).scenario === row.scenario)!;
      expect(doc).toBeDefined();
      expect(row.model).toBe(doc.model_id);
      expect(Number(row.completed)).toBe(doc.completed as number);
      expect(Number(row.failed)).toBe(doc.failed as number);
      expect(Number(row.total_input_tokens)).toBe(doc.total_input_tokens as number);
      expect(Number(row.total_output_tokens)).toBe(doc.total_output_tokens as number);
      for (const [col, key] of [["duration_s", "duration"], ["request_throughput", "request_throughput"], ["output_throughput", "output_throughput"], ["total_token_throughput", "total_token_throughput"], ["ttft_mean_ms", "mean_ttft_ms"], ["ttft_p99_ms", "p99_ttft_ms"], ["tpot_median_ms", "median_tpot_ms"], ["itl_std_ms", "std_itl_ms"], ["e2el_p50_ms", "p50_e2el_ms"]] as const) {
        expect(row[col] as number).toBeCloseTo(doc[key] as number, 9);
      }
    }
    const small = rows.find((r) => r.scenario === "ch_small")!;
    expect(small.failure_categories).toEqual(["http"]);
    expect(small.failure_counts).toEqual(["1"]); // UInt64 comes back quoted in JSON
    expect(small.success_rate).toBeCloseTo(5 / 6, 12);
    expect(small.ttft_p99_9_ms).toBeNull(); // not computed for this scenario
    const rate = rows.find((r) => r.scenario === "ch_rate")!;
    expect(rate.request_rate).toBe(200);
    expect(rate.ttft_percentiles).toEqual([50, 99, 99.9]);
    expect(rate.ttft_p99_9_ms as number).toBeCloseTo((docs.find((d) => (d.vbench as { scenario: string }).scenario === "ch_rate")!["p99.9_ttft_ms"]) as number, 9);
    expect(rate.threshold_keys).toEqual(["ttft_p99_ms", "success_rate"]);
    expect(rate.threshold_passed).toEqual([1, 1]);
    expect(small.request_rate).toBeNull(); // "inf" is stored as inf; ClickHouse's JSON prints non-finite floats as null
    const inf = await chSelect<{ inf: number }>(conn(), `SELECT isInfinite(request_rate) AS inf FROM vb_main.runs FINAL WHERE run_id = '${runId}' AND scenario = 'ch_small'`);
    expect(inf[0]!.inf).toBe(1);
  });

  test("re-sending the same run is idempotent: FINAL shows one row per scenario, a merge keeps one", async () => {
    await exportAll(results, { url: ch.url, database: "vb_idem" });
    await exportAll(results, { url: ch.url, database: "vb_idem" });
    const runId = results[0]!.run.runId;
    const count = async (final: string) => Number((await chQuery(conn(), `SELECT count() FROM vb_idem.runs ${final} WHERE run_id = '${runId}'`)).trim());
    expect(await count("FINAL")).toBe(2);
    expect(await count("")).toBe(4); // two inserts, not merged yet
    await chQuery(conn(), "OPTIMIZE TABLE vb_idem.runs FINAL");
    expect(await count("")).toBe(2);
  });

  test("per_request: one row per request, consistent with the run row", async () => {
    await exportAll(results, { url: ch.url, database: "vb_req", per_request: true });
    for (const r of results) {
      const [agg] = await chSelect<Record<string, number | string>>(conn(), `SELECT count() AS n, sum(success) AS ok, sum(output_tokens * success) AS out, avg(ttft_ms) AS ttft FROM vb_req.requests FINAL WHERE run_id = '${r.run.runId}' AND scenario = '${r.scenario.name}'`);
      expect(Number(agg!.n)).toBe(r.records.length);
      expect(Number(agg!.ok)).toBe(r.summary.completed);
      expect(Number(agg!.out)).toBe(r.summary.totalOutputTokens);
      expect(agg!.ttft as number).toBeCloseTo(r.summary.metrics.ttft!.mean, 9);
    }
    const failed = await chSelect(conn(), `SELECT error_category, http_status, ttft_ms FROM vb_req.requests FINAL WHERE success = 0`);
    expect(failed).toEqual([{ error_category: "http", http_status: 500, ttft_ms: null }]);
  });

  test("credentials come from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD and never appear in messages", async () => {
    const logs: string[] = [];
    await withEnv({ CLICKHOUSE_USER: "bench_writer", CLICKHOUSE_PASSWORD: PASSWORD }, () => exportAll(results.slice(0, 1), { url: ch.url, database: "vb_auth" }, logs));
    expect(Number((await chQuery(conn(), "SELECT count() FROM vb_auth.runs")).trim())).toBe(1);
    const e = await withEnv({ CLICKHOUSE_USER: "bench_writer", CLICKHOUSE_PASSWORD: "wrong-one" }, () => thrown(clickhouse.preflight!(ctx({ url: ch.url, database: "vb_auth2" }))));
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("Wrong password");
    expect(e.hint).toContain("CLICKHOUSE_PASSWORD");
    for (const text of [...logs, e.message, e.hint ?? "", ...e.details]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain("wrong-one");
    }
  });

  test("preflight errors: unreachable server (exit 3), no URL (exit 2), a table missing columns (exit 3 with ALTERs)", async () => {
    const down = await thrown(clickhouse.preflight!(ctx({ url: "http://127.0.0.1:9" })));
    expect(down.exitCode).toBe(3);
    expect(down.message).toContain("http://127.0.0.1:9");
    const none = await withEnv({ CLICKHOUSE_URL: undefined }, () => thrown(clickhouse.preflight!(ctx({}))));
    expect(none.exitCode).toBe(2);
    expect(none.hint).toContain("CLICKHOUSE_URL");
    const bad = await thrown(clickhouse.preflight!(ctx({ url: ch.url, table: "runs; DROP TABLE x" })));
    expect(bad.exitCode).toBe(2);
    await chQuery(conn(), "CREATE DATABASE IF NOT EXISTS vb_old");
    await chQuery(conn(), "CREATE TABLE vb_old.runs (run_id String, scenario String, variant String, started_at DateTime) ENGINE = MergeTree() PARTITION BY toYYYYMM(started_at) ORDER BY run_id");
    const old = await thrown(clickhouse.preflight!(ctx({ url: ch.url, database: "vb_old" })));
    expect(old.exitCode).toBe(3);
    expect(old.details).toContain("ALTER TABLE `vb_old`.`runs` ADD COLUMN completed UInt64");
  });

  test("Grafana ClickHouse dashboard: every panel and variable query runs on the real server and finds the run", async () => {
    await exportAll(results, { url: ch.url }); // the dashboard reads the default vbench.runs
    const dashboard = JSON.parse(readFileSync(join(REPO, "configs/grafana/vbench-clickhouse.json"), "utf8")) as {
      panels: { title: string; type: string; targets?: { rawSql: string; format: number }[] }[];
      templating: { list: { name: string; type: string; query: string }[] };
    };
    const models = [...new Set(results.map((r) => r.scenario.model))];
    // The plugin's macros and variable formats, as Grafana expands them for "all scenarios and models, any time".
    const expand = (sql: string) =>
      sql
        .replace(/\$__timeFilter\((\w+)\)/g, "$1 >= toDateTime('2000-01-01 00:00:00') AND $1 <= now() + 86400")
        .replaceAll("${scenario:singlequote}", results.map((r) => `'${r.scenario.name}'`).join(","))
        .replaceAll("${model:singlequote}", models.map((m) => `'${m}'`).join(","));
    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, sql: t.rawSql, timeseries: t.format === 0 }))),
      ...dashboard.templating.list.filter((v) => v.type === "query").map((v) => ({ where: `variable ${v.name}`, sql: v.query, timeseries: false })),
    ];
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      expect(q.sql).not.toMatch(/\$\{?(?!__timeFilter|scenario:singlequote|model:singlequote)\w/); // no macro the test does not expand
      const rows = await chSelect(conn(), expand(q.sql)).catch((e: Error) => {
        throw new Error(`${q.where}: ${e.message}\n${expand(q.sql)}`);
      });
      expect(rows.length, q.where).toBeGreaterThan(0);
      if (q.timeseries) expect(Object.keys(rows[0]!).slice(0, 2), q.where).toEqual(["time", "series"]);
    }
  });

  test("CLICKHOUSE_URL is used when the option is absent", async () => {
    await withEnv({ CLICKHOUSE_URL: ch.url }, () => exportAll(results, { database: "vb_env" }));
    expect(Number((await chQuery(conn(), "SELECT count() FROM vb_env.runs FINAL")).trim())).toBe(2);
  });
});
