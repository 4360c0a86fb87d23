/**
 * Example backend plugin: a NON-streaming JSON API, `POST /generate` in
 * text-generation-inference's shape (`{"inputs": ..., "parameters": ...}` →
 * `{"generated_text": ..., "details": {"generated_tokens": N}}`).
 *
 * Load it into the binary at run time:
 *   vbench run --plugin ./json-generate-backend.ts --backend json-generate ...
 *
 * A plugin imports only "vbench/plugin" (the host hands it its own contract
 * helpers and valibot as `v`); everything else must be in this file.
 * Without streaming, the whole body is one payload: TTFT equals E2EL and
 * there is no ITL, which is the truth about such an API.
 */
import { defineBackend, PayloadKind, v, type ParsedResponse } from "vbench/plugin";

const responseSchema = v.object({
  generated_text: v.string(),
  details: v.optional(v.object({ generated_tokens: v.number(), finish_reason: v.optional(v.string()) })),
});

export default defineBackend({
  name: "json-generate",
  description: "Example: non-streaming POST /generate (TGI-style JSON)",
  defaultEndpointPath: "/generate",
  discovery: {
    path: "/info",
    parseModels: (body) => (typeof body === "object" && body !== null && "model_id" in body ? [String((body as { model_id: unknown }).model_id)] : []),
  },
  buildBody: ({ item, sampling, extraBody }) => ({
    inputs: item.prompt,
    parameters: { max_new_tokens: item.outputTokens, details: true, ...sampling },
    ...extraBody,
  }),
  createParser() {
    const state: ParsedResponse = { textParts: [], ended: false };
    return {
      state,
      onPayload(payload) {
        let body: unknown;
        try {
          body = JSON.parse(payload);
        } catch {
          state.error = `not JSON: ${payload.slice(0, 100)}`;
          return PayloadKind.Error;
        }
        const parsed = v.safeParse(responseSchema, body);
        if (!parsed.success) {
          state.error = `unexpected response: ${v.summarize(parsed.issues)}`;
          return PayloadKind.Error;
        }
        state.textParts.push(parsed.output.generated_text);
        state.outputTokens = parsed.output.details?.generated_tokens;
        state.finishReason = parsed.output.details?.finish_reason;
        state.ended = true;
        return PayloadKind.TokenAndDone;
      },
    };
  },
});
