/**
 * Endpoint discovery before any benchmark traffic (spec/wire.md): ask the
 * server which models it serves, take the model id from it when none was
 * given, and check that a given one is served (unless the check is off:
 * llama-server accepts any model name and lists its model file's path).
 */
import { ofetch, FetchError } from "ofetch";
import type { BackendPlugin } from "../base/plugin-types.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { sanitizeForTerminal } from "../base/log.ts";
import { redactUrl } from "../base/redact.ts";

export interface DiscoveryResult {
  models: string[];
  /** The model to send and label with. */
  model: string;
  /** Set when the served-model check was skipped and the model is not confirmed: say so before traffic. */
  warning?: string;
}

export interface DiscoveryOptions {
  /** False: a given model need not be listed, and a failed listing is only a warning (model_check: false). */
  checkModel?: boolean;
}

const DISCOVERY_TIMEOUT_MS = 15_000;

export async function discoverModel(
  baseUrl: string,
  backend: BackendPlugin,
  wanted: string,
  headers: Record<string, string>,
  options: DiscoveryOptions = {},
): Promise<DiscoveryResult> {
  const url = baseUrl + backend.discovery.path;
  const unchecked = options.checkModel === false && wanted !== "";
  let body: unknown;
  try {
    body = await ofetch(url, { headers, timeout: DISCOVERY_TIMEOUT_MS, retry: 0, responseType: "json" });
  } catch (error) {
    const problem = discoveryError(redactUrl(url), error);
    // An unreachable server fails either way; a listing the server refuses does not matter when the name is not checked.
    if (unchecked && problem.code === "discovery_http") return { models: [], model: wanted, warning: uncheckedWarning(wanted, problem.message) };
    throw problem;
  }
  let models: string[];
  try {
    models = backend.discovery.parseModels(body);
  } catch {
    models = [];
  }
  if (models.length === 0) {
    if (wanted) return { models, model: wanted };
    throw new VbenchError("no_models", `${redactUrl(url)} answered but lists no model`, {
      hint: "Pass the model with --model or MODEL_NAME / SERVED_MODEL_NAME.",
      exitCode: ExitCode.preflight,
    });
  }
  if (!wanted) return { models, model: models[0]! };
  if (unchecked && !models.includes(wanted)) {
    return { models, model: wanted, warning: uncheckedWarning(wanted, `${redactUrl(baseUrl)} lists ${models.join(", ")}`) };
  }
  if (!models.includes(wanted)) {
    throw new VbenchError("model_not_served", `model "${wanted}" is not served by ${redactUrl(baseUrl)}`, {
      hint: `Served models: ${models.join(", ")}. Set --served-model-name / SERVED_MODEL_NAME (or --model / MODEL_NAME) to one of them.`,
      exitCode: ExitCode.preflight,
    });
  }
  return { models, model: wanted };
}

function uncheckedWarning(wanted: string, seen: string): string {
  return `model check skipped (model_check: false / --no-model-check): sending model "${wanted}" although the server does not confirm it (${seen})`;
}

function discoveryError(url: string, error: unknown): VbenchError {
  if (error instanceof FetchError && error.response) {
    const status = error.response.status;
    const text = sanitizeForTerminal(typeof error.data === "string" ? error.data : JSON.stringify(error.data ?? "")).slice(0, 300);
    const hint =
      status === 401 || status === 403
        ? "The server wants credentials: set OPENAI_API_KEY (sent as a bearer token) or --header."
        : status === 404
          ? "Check the base URL (MODEL_ENDPOINT / --base-url) and the backend: TGI serves /info, OpenAI-compatible servers /v1/models."
          : "Check the server's logs.";
    return new VbenchError("discovery_http", `GET ${url} answered HTTP ${status}: ${text}`, { hint, exitCode: ExitCode.preflight });
  }
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const what = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  // An https server whose certificate the runtime does not trust (self-signed, a private CA): say what to do.
  const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i.test(what);
  return new VbenchError("unreachable", `cannot reach the server: GET ${url} failed (${what})`, {
    hint: untrusted
      ? "The server's TLS certificate is not trusted: start vbench with NODE_EXTRA_CA_CERTS=/path/to/ca.pem (the CA or the self-signed certificate, PEM)."
      : "Check that the server is running and listening there, and that MODEL_ENDPOINT / --base-url is right (scheme, host and port).",
    exitCode: ExitCode.preflight,
    cause: error,
  });
}
