/**
 * A minimal ClickHouse client over its HTTP interface (port 8123): SQL in the
 * POST body, inserts as `INSERT ... FORMAT JSONEachRow` with rows in the body.
 * Works with ClickHouse 18.16 (Debian's package) and later. Credentials go in
 * a Basic Authorization header, never in the URL, logs or errors.
 */
import { ofetch } from "ofetch";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { describeFetchError, httpTarget, type HttpTarget } from "./http-target.ts";

export interface ClickHouseConnection {
  target: HttpTarget;
  timeoutMs: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Rows per INSERT: bounds the request body (per-request rows can number millions). */
export const INSERT_BATCH_ROWS = 20_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function clickhouseConnection(url: string, user?: string, password?: string, timeoutMs = DEFAULT_TIMEOUT_MS): ClickHouseConnection {
  return { target: httpTarget(url, "ClickHouse URL", user, password), timeoutMs };
}

/** A database or table name, checked (so no SQL can ride in on it) and back-quoted. */
export function identifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new VbenchError("clickhouse_identifier", `invalid ClickHouse ${what} name "${name}"`, {
      hint: "Use letters, digits and underscores, starting with a letter or underscore.",
      exitCode: ExitCode.config,
    });
  }
  return `\`${name}\``;
}

/** A string literal for SQL (single quotes, backslash escapes). */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Run one statement; returns the response body (use `FORMAT JSONEachRow` etc.
 * in the SQL to shape it). `retries` 0 for probes that should fail fast.
 */
export async function chQuery(conn: ClickHouseConnection, sql: string, retries = 2): Promise<string> {
  return send(conn, "", sql, sql.split(/\s+/).slice(0, 4).join(" "), retries);
}

/** Rows of a `SELECT ... FORMAT JSONEachRow` as objects. */
export async function chSelect<T = Record<string, unknown>>(conn: ClickHouseConnection, sql: string): Promise<T[]> {
  const text = await chQuery(conn, `${sql} FORMAT JSONEachRow`);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);
}

/** Insert rows in batches of INSERT_BATCH_ROWS; `table` is already a quoted `db`.`table`. */
export async function chInsert(conn: ClickHouseConnection, table: string, rows: readonly object[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) {
    const body = rows.slice(start, start + INSERT_BATCH_ROWS).map((r) => JSON.stringify(r)).join("\n") + "\n";
    await send(conn, `?query=${encodeURIComponent(`INSERT INTO ${table} FORMAT JSONEachRow`)}`, body, `INSERT INTO ${table}`, 2);
  }
}

async function send(conn: ClickHouseConnection, query: string, body: string, what: string, retries: number): Promise<string> {
  try {
    return await ofetch<string, "text">(`${conn.target.url}/${query}`, {
      method: "POST",
      body,
      headers: { ...conn.target.headers, "Content-Type": "text/plain; charset=utf-8" },
      timeout: conn.timeoutMs,
      // Statements here are idempotent (IF NOT EXISTS, ReplacingMergeTree keyed by run), so retrying is safe.
      retry: retries,
      retryDelay: 500,
      responseType: "text",
    });
  } catch (error) {
    const reason = describeFetchError(error);
    const auth = /Code: (192|193|194|516)\b|HTTP 401|HTTP 403/.test(reason);
    throw new VbenchError("clickhouse_request", `ClickHouse at ${conn.target.url} refused ${what}: ${reason}`, {
      hint: auth ? "Check CLICKHOUSE_USER and CLICKHOUSE_PASSWORD." : "Check the URL (--clickhouse-url / CLICKHOUSE_URL) and the server's log.",
      exitCode: ExitCode.io,
      cause: error,
    });
  }
}
