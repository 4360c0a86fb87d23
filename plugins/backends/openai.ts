/**
 * OpenAI-compatible text completions (`/v1/completions`): the API vLLM's own
 * benchmark uses by default. Wire format: spec/wire.md.
 */
import { defineBackend } from "../../src/plugin-host/registry.ts";
import type { BuildRequestInput } from "../../src/base/plugin-types.ts";
import { endpointHint, mergeBody, OPENAI_DEFAULT_SAMPLING } from "./_body.ts";
import type { JsonObject } from "./_body.ts";
import { createOpenAiParser, parseOpenAiModels } from "./_openai-stream.ts";

export function buildCompletionsBody(input: BuildRequestInput): JsonObject {
  const body: JsonObject = {
    model: input.model,
    prompt: input.item.prompt,
    max_tokens: input.item.outputTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (input.ignoreEos) body.ignore_eos = true;
  return mergeBody({ ...body, ...OPENAI_DEFAULT_SAMPLING, ...input.sampling }, input.extraBody);
}

export default defineBackend({
  name: "openai",
  description: "OpenAI-compatible text completions API (/v1/completions), streamed with usage",
  defaultEndpointPath: "/v1/completions",
  checkEndpointPath: (path) => endpointHint(path, "openai"),
  discovery: { path: "/v1/models", parseModels: parseOpenAiModels },
  buildBody: buildCompletionsBody,
  createParser: () => createOpenAiParser("completions"),
});
