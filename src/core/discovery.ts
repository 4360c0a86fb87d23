/**
 * Endpoint discovery before any benchmark traffic (spec/wire.md): ask the
 * server which models it serves, take the model id from it when none was
 * given, and check that a given one is served.
 */
import { ofetch, FetchError } from "ofetch";
import type { BackendPlugin } from "./types.ts";
import { ExitCode, VbenchError } from "./errors.ts";
import { sanitizeForTerminal } from "./log.ts";
import { redactUrl } from "./redact.ts";

export interface DiscoveryResult {
  models: string[];
  /** The model to send and label with. */
  model: string;
}

const DISCOVERY_TIMEOUT_MS = 15_000;

export async function discoverModel(baseUrl: string, backend: BackendPlugin, wanted: string, headers: Record<string, string>): Promise<DiscoveryResult> {
  const url = baseUrl + backend.discovery.path;
  let body: unknown;
  try {
    body = await ofetch(url, { headers, timeout: DISCOVERY_TIMEOUT_MS, retry: 0, responseType: "json" });
  } catch (error) {
    throw discoveryError(redactUrl(url), error);
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
  if (!models.includes(wanted)) {
    throw new VbenchError("model_not_served", `model "${wanted}" is not served by ${redactUrl(baseUrl)}`, {
      hint: `Served models: ${models.join(", ")}. Set --served-model-name / SERVED_MODEL_NAME (or --model / MODEL_NAME) to one of them.`,
      exitCode: ExitCode.preflight,
    });
  }
  return { models, model: wanted };
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
  return new VbenchError("unreachable", `cannot reach the server: GET ${url} failed (${what})`, {
    hint: "Check that the server is running and listening there, and that MODEL_ENDPOINT / --base-url is right (scheme, host and port).",
    exitCode: ExitCode.preflight,
    cause: error,
  });
}
