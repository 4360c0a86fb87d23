/**
 * A monitoring destination's URL, split into what may be shown and what must
 * not: credentials in the URL (`http://user:pass@host`) become a Basic
 * Authorization header and never appear in logs or error messages.
 */
import { VbenchError, ExitCode } from "../base/errors.ts";

export interface HttpTarget {
  /** The URL without credentials and without a trailing slash: safe to print. */
  url: string;
  /** `Authorization` header, or empty when no credentials were given. */
  headers: Record<string, string>;
}

/**
 * Parse `raw`; `user`/`password` (e.g. from the environment) win over URL
 * credentials. `what` names the destination in errors ("ClickHouse URL").
 */
export function httpTarget(raw: string, what: string, user?: string, password?: string): HttpTarget {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new VbenchError("monitoring_url", `${what} is not a valid URL: ${redactUrl(raw)}`, {
      hint: "Give a full URL such as http://127.0.0.1:8123.",
      exitCode: ExitCode.config,
    });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new VbenchError("monitoring_url", `${what} must be http:// or https://, got ${parsed.protocol}//`, { exitCode: ExitCode.config });
  }
  const name = user ?? decodeURIComponent(parsed.username);
  const secret = password ?? decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const headers: Record<string, string> = {};
  if (name || secret) headers.Authorization = `Basic ${Buffer.from(`${name}:${secret}`).toString("base64")}`;
  return { url: parsed.toString().replace(/\/+$/, ""), headers };
}

/** `http://user:secret@host/x` → `http://user:***@host/x` for messages about a URL that did not parse. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@");
}

/** First line of a server's error body, trimmed to something readable. */
export function firstLine(text: string, max = 300): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** Why a request to a monitoring destination failed, in one line: `HTTP 400: <server's words>` or the network error. */
export function describeFetchError(error: unknown): string {
  const e = error as { response?: { status: number }; data?: unknown; cause?: unknown; message?: string };
  if (e?.response) {
    const body = typeof e.data === "string" ? e.data : e.data === undefined ? "" : JSON.stringify(e.data);
    return `HTTP ${e.response.status}${body ? `: ${firstLine(body)}` : ""}`;
  }
  const cause = e?.cause as { message?: string; code?: string } | undefined;
  return firstLine(cause?.code ?? cause?.message ?? e?.message ?? String(error));
}
