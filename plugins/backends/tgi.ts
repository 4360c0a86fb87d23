/**
 * Hugging Face text-generation-inference native API (`/generate_stream`).
 * Wire format: spec/wire.md. TGI sends no `[DONE]`: the event with `details`
 * is the end marker, and output tokens come from `details.generated_tokens`.
 */
import { defineBackend } from "../../src/plugin-host/registry.ts";
import { PayloadKind } from "../../src/base/plugin-types.ts";
import type { BuildRequestInput, ParsedResponse, ResponseParser } from "../../src/base/plugin-types.ts";
import { endpointHint, isRecord, malformed, mergeBody } from "./_body.ts";
import type { JsonObject } from "./_body.ts";

/**
 * Sampling fields use vLLM/OpenAI semantics; TGI rejects the values that mean
 * "disabled" there (temperature 0, top_p 1, top_k ≤ 0), so those are left out
 * (TGI's defaults are the same: greedy, no top-p, no top-k). Other keys pass
 * through into `parameters` (TGI's names match for repetition_penalty,
 * frequency_penalty, typical_p, stop, truncate, ...).
 */
function tgiParameters(sampling: Readonly<JsonObject>, maxNewTokens: number): JsonObject {
  const params: JsonObject = {
    max_new_tokens: maxNewTokens,
    details: true,
    do_sample: false,
    decoder_input_details: false,
  };
  for (const key of Object.keys(sampling)) {
    const value = sampling[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number") {
      params[key] = value; // not ours to judge: TGI's validation error reaches the user
      continue;
    }
    if (key === "temperature") {
      if (value > 0) {
        params.temperature = value;
        params.do_sample = true;
      }
    } else if (key === "top_p") {
      if (value > 0 && value < 1) params.top_p = value;
    } else if (key === "top_k") {
      if (value > 0) params.top_k = value;
    } else {
      params[key] = value;
    }
  }
  // An explicit do_sample wins over the one implied by temperature.
  if (typeof sampling.do_sample === "boolean") params.do_sample = sampling.do_sample;
  return params;
}

/**
 * `extra_body` is merged over the whole body; its `parameters` object is
 * merged into the built parameters (so `{"parameters": {"top_n_tokens": 5}}`
 * adds a parameter and keeps max_new_tokens/details).
 */
export function buildTgiBody(input: BuildRequestInput): JsonObject {
  const body: JsonObject = {
    inputs: input.item.prompt,
    parameters: tgiParameters(input.sampling, input.item.outputTokens),
  };
  return mergeBody(body, input.extraBody);
}

class TgiParser implements ResponseParser {
  readonly state: ParsedResponse = { textParts: [], ended: false };

  onPayload(payload: string): PayloadKind {
    let obj: unknown;
    try {
      obj = JSON.parse(payload);
    } catch {
      if (payload.trim() === "") return PayloadKind.Ignore;
      return this.fail(malformed(payload));
    }
    // The non-streaming compat route `/` answers with a one-element array.
    if (Array.isArray(obj) && obj.length > 0) obj = obj[0];
    if (!isRecord(obj)) return this.fail(malformed(payload));
    const error = obj.error;
    if (error !== undefined && error !== null) {
      const text = typeof error === "string" ? error : JSON.stringify(error);
      return this.fail(typeof obj.error_type === "string" ? `${obj.error_type}: ${text}` : text);
    }

    let kind: PayloadKind = PayloadKind.Ignore;
    const token = obj.token;
    if (isRecord(token)) {
      kind = PayloadKind.Token;
      // Special tokens count as generated tokens but are not part of the text
      // (TGI's own generated_text skips them).
      if (token.special !== true && typeof token.text === "string" && token.text.length > 0) {
        this.state.textParts.push(token.text);
      }
    } else if (typeof obj.generated_text === "string") {
      // Non-streaming `/generate` body: the whole text at once.
      kind = PayloadKind.Token;
      if (obj.generated_text.length > 0) this.state.textParts.push(obj.generated_text);
      if (!isRecord(obj.details)) {
        this.state.ended = true;
        return PayloadKind.TokenAndDone;
      }
    }

    const details = obj.details;
    if (!isRecord(details)) return kind;
    if (typeof details.generated_tokens === "number") this.state.outputTokens = details.generated_tokens;
    if (typeof details.finish_reason === "string") this.state.finishReason = details.finish_reason;
    this.state.ended = true;
    return kind === PayloadKind.Token ? PayloadKind.TokenAndDone : PayloadKind.Done;
  }

  private fail(message: string): PayloadKind {
    this.state.error ??= message;
    return PayloadKind.Error;
  }
}

export function parseTgiInfo(body: unknown): string[] {
  return isRecord(body) && typeof body.model_id === "string" ? [body.model_id] : [];
}

export default defineBackend({
  name: "tgi",
  description: "Hugging Face text-generation-inference native streaming API (/generate_stream)",
  defaultEndpointPath: "/generate_stream",
  checkEndpointPath(path) {
    if (path.includes("/v1/")) {
      return `endpoint path "${path}" is TGI's OpenAI-compatible route, served by the "openai-chat" backend: set backend to "openai-chat", or use "/generate_stream" with "tgi"`;
    }
    return endpointHint(path, "tgi");
  },
  discovery: { path: "/info", parseModels: parseTgiInfo },
  buildBody: buildTgiBody,
  createParser: () => new TgiParser(),
});
