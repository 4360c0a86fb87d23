/**
 * Helpers shared by the built-in backends: request-body merging, JSON shape
 * checks, server error texts and endpoint-path hints. Pure functions.
 */
import { isRecord } from "../../src/base/json-values.ts";

export type JsonObject = Record<string, unknown>;

/** The one plain-object check (src/base/json-values.ts), for the backends' imports. */
export { isRecord };

/**
 * `extra_body` merged over a built body. Top-level keys replace, except that
 * an object merged onto an object is merged one level deep, so
 * `{"stream_options": {"continuous_usage_stats": true}}` keeps
 * `include_usage`, and TGI's `{"parameters": {...}}` adds to the built
 * parameters instead of replacing max_new_tokens/details.
 */
export function mergeBody(base: JsonObject, extra: Readonly<JsonObject>): JsonObject {
  const out: JsonObject = { ...base };
  for (const key of Object.keys(extra)) {
    const value = extra[key];
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? { ...current, ...value } : value;
  }
  return out;
}

/**
 * Sampling sent by the OpenAI backends unless the scenario's sampling keys
 * (or `extra_body`) say otherwise: vLLM's client sends `temperature: 0.0`
 * (greedy), and without it a server applies its own default (0.8 on
 * llama-server), so the two tools would not send the same workload.
 */
export const OPENAI_DEFAULT_SAMPLING: Readonly<JsonObject> = { temperature: 0 };

/** The message of an OpenAI/vLLM error object, or undefined when the payload is not one. */
export function openAiErrorText(obj: JsonObject): string | undefined {
  const error = obj.error;
  if (error !== undefined && error !== null) {
    if (typeof error === "string") return error;
    if (isRecord(error) && typeof error.message === "string") return error.message;
    return JSON.stringify(error).slice(0, 500);
  }
  // vLLM's ErrorResponse: {"object": "error", "message": ..., "type": ..., "code": ...}
  if (obj.object === "error") return typeof obj.message === "string" ? obj.message : "error object in stream";
  return undefined;
}

export function malformed(payload: string): string {
  return `malformed JSON in stream: ${payload.slice(0, 200)}`;
}

/** Wrong-backend hints keyed by the tail of an endpoint path. */
const PATH_BACKENDS: readonly [suffix: string, backend: string][] = [
  ["/chat/completions", "openai-chat"],
  ["/completions", "openai"],
  ["/generate_stream", "tgi"],
  ["/generate", "tgi"],
];

/** Hint naming the right backend when `path` belongs to another one than `self`. */
export function endpointHint(path: string, self: string): string | undefined {
  const clean = path.split("?")[0].replace(/\/+$/, "");
  for (const [suffix, backend] of PATH_BACKENDS) {
    if (!clean.endsWith(suffix)) continue;
    if (backend === self) return undefined;
    return `endpoint path "${path}" belongs to the "${backend}" backend, not "${self}": set backend to "${backend}" or use the default path`;
  }
  return undefined;
}
