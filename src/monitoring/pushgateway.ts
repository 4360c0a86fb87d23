/**
 * Prometheus Pushgateway client: push a text-format exposition under a
 * grouping key (`/metrics/job/<job>/<label>/<value>...`).
 *
 * PUT (the default) replaces every metric of the group, so the gateway shows
 * exactly the last run's scenarios instead of a mix with stale ones; POST
 * replaces only the pushed families. Label values that the path cannot carry
 * (empty, or containing `/`) use the gateway's `@base64` form.
 */
import { ofetch } from "ofetch";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { describeFetchError, httpTarget } from "./http-target.ts";

export interface PushOptions {
  /** Extra grouping labels besides `job` (e.g. `{ instance: "ci-runner-3" }`). */
  grouping?: Readonly<Record<string, string>>;
  method?: "PUT" | "POST";
  timeoutMs?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DEFAULT_TIMEOUT_MS = 15_000;

function segment(name: string, value: string): string {
  if (value === "" || value.includes("/")) {
    // RFC 4648 URL-safe alphabet; an empty value is spelled "=" (Pushgateway README).
    const b64 = value === "" ? "=" : Buffer.from(value).toString("base64url");
    return `${name}@base64/${b64}`;
  }
  return `${name}/${encodeURIComponent(value)}`;
}

/** The path of a group: `/metrics/job/<job>[/<label>/<value>...]`. Throws on invalid label names. */
export function pushgatewayPath(job: string, grouping: Readonly<Record<string, string>> = {}): string {
  if (job === "") throw new VbenchError("pushgateway_job", "the Pushgateway job name is empty", { hint: "Set exporter_options.pushgateway.job to a non-empty name (default: vbench).", exitCode: ExitCode.config });
  const parts = [segment("job", job)];
  for (const [name, value] of Object.entries(grouping)) {
    if (!LABEL_NAME.test(name) || name === "job") {
      throw new VbenchError("pushgateway_grouping", `invalid Pushgateway grouping label "${name}"`, {
        hint: "Grouping label names match [a-zA-Z_][a-zA-Z0-9_]* and must not be `job`.",
        exitCode: ExitCode.config,
      });
    }
    parts.push(segment(name, String(value)));
  }
  return `/metrics/${parts.join("/")}`;
}

/**
 * Push `text` (Prometheus text format 0.0.4) to the gateway at `url`. Returns
 * the group's URL without credentials. Throws VbenchError (exit code io) with
 * the gateway's own message when it refuses the push.
 */
export async function pushToGateway(url: string, job: string, text: string, options: PushOptions = {}): Promise<string> {
  const target = httpTarget(url, "Pushgateway URL");
  const groupUrl = target.url + pushgatewayPath(job, options.grouping);
  try {
    await ofetch(groupUrl, {
      method: options.method ?? "PUT",
      body: text,
      headers: { ...target.headers, "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // A PUT of the same group is idempotent, so a retry after a dropped connection is safe.
      retry: 2,
      retryDelay: 500,
      responseType: "text",
    });
  } catch (error) {
    throw new VbenchError("pushgateway_push", `pushing metrics to ${groupUrl} failed: ${describeFetchError(error)}`, {
      hint: "The results are on disk; push them again with `vbench export RAW.msgpack --format pushgateway` once the gateway accepts them.",
      exitCode: ExitCode.io,
      cause: error,
    });
  }
  return groupUrl;
}

/** Preflight: the gateway answers `/-/ready` (before any traffic, so a typo never costs a run). */
export async function checkPushgateway(url: string, timeoutMs = 5_000): Promise<void> {
  const target = httpTarget(url, "Pushgateway URL");
  try {
    await ofetch(`${target.url}/-/ready`, { headers: target.headers, timeout: timeoutMs, retry: 0, responseType: "text" });
  } catch (error) {
    throw new VbenchError("pushgateway_unreachable", `the Pushgateway at ${target.url} is not ready: ${describeFetchError(error)}`, {
      hint: "Check the URL (--push-gateway / PUSHGATEWAY_URL / exporter_options.pushgateway.url) and that the gateway runs.",
      exitCode: ExitCode.preflight,
      cause: error,
    });
  }
}
