/**
 * clickhouse exporter: one row per scenario run (every standardized metric as
 * flat columns) into `<database>.<table>`, optionally one row per request into
 * `<database>.<requests_table>`, over ClickHouse's HTTP interface.
 *
 * Options (`exporter_options.clickhouse`): `url` (else env CLICKHOUSE_URL),
 * `database` (vbench), `table` (runs), `requests_table` (requests),
 * `per_request` (false), `timeout_s` (30). User and password come from
 * CLICKHOUSE_USER / CLICKHOUSE_PASSWORD and are never printed.
 *
 * Preflight (before any traffic): the server answers, the database and tables
 * exist or are created, and an existing table has every column this version
 * writes. Rows are inserted as each scenario finishes; a failed insert does not
 * stop the remaining scenarios: it is retried in finish() and then reported.
 */
import * as v from "valibot";
import type { ExportContext } from "../../src/base/plugin-types.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { parseExporterOptions } from "../../src/monitoring/exporter-options.ts";
import { ExitCode, VbenchError, errorMessage } from "../../src/base/errors.ts";
import { envOf, runSetting } from "../../src/config/run-settings.ts";
import { chInsert, chQuery, chSelect, clickhouseConnection, identifier, literal, type ClickHouseConnection } from "../../src/monitoring/clickhouse-http.ts";
import { clickhouseDateTime, createTableSql, requestRows, runRow, REQUEST_COLUMNS, REQUEST_KEY, RUN_COLUMNS, RUN_KEY, type Column } from "../../src/monitoring/clickhouse-rows.ts";

const optionsSchema = v.object({
  url: v.optional(v.pipe(v.string(), v.nonEmpty("a non-empty URL"))),
  database: v.optional(v.string(), "vbench"),
  table: v.optional(v.string(), "runs"),
  requests_table: v.optional(v.string(), "requests"),
  per_request: v.optional(v.boolean(), false),
  timeout_s: v.optional(v.pipe(v.number(), v.minValue(1, "a number >= 1")), 30),
});

interface Destination {
  conn: ClickHouseConnection;
  db: string;
  runs: string;
  requests: string | null;
  /** `db.table` for messages. */
  label: string;
}

function destination(ctx: ExportContext): Destination {
  const options = parseExporterOptions("clickhouse", optionsSchema, ctx.options);
  const url = options.url ?? (runSetting("clickhouse_url", {}, process.env) as string | undefined);
  if (!url) {
    throw new VbenchError("clickhouse_url_missing", "the clickhouse exporter needs the server's HTTP URL", {
      hint: `Pass --clickhouse-url URL, set ${envOf("clickhouse_url")} (e.g. http://127.0.0.1:8123), or set exporter_options.clickhouse.url.`,
      exitCode: ExitCode.config,
    });
  }
  const db = identifier(options.database, "database");
  const user = runSetting("clickhouse_user", {}, process.env) as string | undefined;
  const password = runSetting("clickhouse_password", {}, process.env) as string | undefined;
  const conn = clickhouseConnection(url, user, password, options.timeout_s * 1000);
  return {
    conn,
    db,
    runs: `${db}.${identifier(options.table, "table")}`,
    requests: options.per_request ? `${db}.${identifier(options.requests_table, "requests table")}` : null,
    label: `${options.database}.${options.table}`,
  };
}

/** Create what is missing; check that an existing table has every column we insert. */
async function ensureTable<S>(destination: Destination, table: string, columns: Column<S>[], key: string[]): Promise<void> {
  await chQuery(destination.conn, createTableSql(table, columns, key));
  const [db, name] = table.split(".").map((q) => q.slice(1, -1));
  const present = new Set((await chSelect<{ name: string }>(destination.conn, `SELECT name FROM system.columns WHERE database = ${literal(db!)} AND table = ${literal(name!)}`)).map((r) => r.name));
  const missing = columns.filter((c) => !present.has(c.name));
  if (missing.length) {
    throw new VbenchError("clickhouse_schema", `the existing ClickHouse table ${db}.${name} lacks ${missing.length} column(s) this vbench writes`, {
      details: missing.map((c) => `ALTER TABLE ${table} ADD COLUMN ${c.name} ${c.type}`),
      hint: "Run the ALTER TABLE statements above, or choose another table with exporter_options.clickhouse.table.",
      exitCode: ExitCode.preflight,
    });
  }
}

/** Schemas already checked in this process, by URL and table, so `vbench export` without preflight still creates them once. */
const ready = new Set<string>();

async function prepare(destination: Destination): Promise<void> {
  const id = `${destination.conn.target.url} ${destination.runs} ${destination.requests ?? ""}`;
  if (ready.has(id)) return;
  let answer: string;
  try {
    answer = await chQuery(destination.conn, "SELECT 1", 0);
  } catch (error) {
    const e = error as VbenchError;
    throw new VbenchError("clickhouse_unreachable", e.message, { hint: e.hint, exitCode: ExitCode.preflight, cause: error });
  }
  if (answer.trim() !== "1") {
    throw new VbenchError("clickhouse_unexpected", `${destination.conn.target.url} answered "SELECT 1" with ${JSON.stringify(answer.slice(0, 80))}: not a ClickHouse HTTP interface`, {
      hint: `Point --clickhouse-url / ${envOf("clickhouse_url")} at ClickHouse's HTTP port (8123 by default), not the native TCP port (9000).`,
      exitCode: ExitCode.preflight,
    });
  }
  await chQuery(destination.conn, `CREATE DATABASE IF NOT EXISTS ${destination.db}`);
  await ensureTable(destination, destination.runs, RUN_COLUMNS, RUN_KEY);
  if (destination.requests) await ensureTable(destination, destination.requests, REQUEST_COLUMNS, REQUEST_KEY);
  ready.add(id);
}

async function insert(destination: Destination, result: ScenarioResult): Promise<number> {
  await prepare(destination);
  await chInsert(destination.conn, destination.runs, [runRow(result, clickhouseDateTime(new Date().toISOString()))]);
  if (!destination.requests) return 1;
  const rows = requestRows(result);
  await chInsert(destination.conn, destination.requests, rows);
  return 1 + rows.length;
}

/** Scenario runs whose insert failed during the run, retried once in finish(). */
const pending: ScenarioResult[] = [];

export default defineExporter({
  name: "clickhouse",
  description: `one row per scenario run (and optionally per request) into ClickHouse over HTTP (option url or ${envOf("clickhouse_url")})`,
  async preflight(ctx) {
    await prepare(destination(ctx));
  },
  async write(result, ctx) {
    const d = destination(ctx);
    try {
      const rows = await insert(d, result);
      ctx.log(`ClickHouse: inserted ${rows} row(s) of ${result.scenario.name}${result.run.variant ? `/${result.run.variant}` : ""} into ${d.label}${d.requests ? " and its requests table" : ""}`);
    } catch (error) {
      ctx.log(`ClickHouse: insert failed, will retry after the last scenario: ${errorMessage(error)}`);
      pending.push(result);
    }
    return [];
  },
  async finish(_results, ctx) {
    if (pending.length === 0) return [];
    const d = destination(ctx);
    const failures: string[] = [];
    for (const result of pending.splice(0)) {
      try {
        await insert(d, result);
      } catch (error) {
        failures.push(`${result.scenario.name}${result.run.variant ? `/${result.run.variant}` : ""}: ${errorMessage(error)}`);
      }
    }
    if (failures.length) {
      throw new VbenchError("clickhouse_insert", `${failures.length} scenario run(s) could not be inserted into ClickHouse ${d.label}`, {
        details: failures,
        hint: "The results are on disk; send them again with `vbench export RAW.msgpack --format clickhouse` (re-sending is idempotent).",
        exitCode: ExitCode.io,
      });
    }
    return [];
  },
});
