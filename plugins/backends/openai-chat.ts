/**
 * OpenAI-compatible chat completions (`/v1/chat/completions`): vLLM, SGLang,
 * TGI's OpenAI route, OpenAI itself. Wire format: spec/wire.md.
 */
import { defineBackend } from "../../src/plugin-host/registry.ts";
import type { BuildRequestInput } from "../../src/base/plugin-types.ts";
import { endpointHint, mergeBody, OPENAI_DEFAULT_SAMPLING } from "./_body.ts";
import type { JsonObject } from "./_body.ts";
import { createOpenAiParser, parseOpenAiModels } from "./_openai-stream.ts";

export function buildChatBody(input: BuildRequestInput): JsonObject {
  const { item } = input;
  const body: JsonObject = {
    model: input.model,
    messages: item.messages ?? [{ role: "user", content: item.prompt }],
    max_completion_tokens: item.outputTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (input.ignoreEos) body.ignore_eos = true;
  return mergeBody({ ...body, ...OPENAI_DEFAULT_SAMPLING, ...input.sampling }, input.extraBody);
}

export default defineBackend({
  name: "openai-chat",
  description: "OpenAI-compatible chat completions API (/v1/chat/completions), streamed with usage",
  defaultEndpointPath: "/v1/chat/completions",
  checkEndpointPath: (path) => endpointHint(path, "openai-chat"),
  discovery: { path: "/v1/models", parseModels: parseOpenAiModels },
  buildBody: buildChatBody,
  createParser: () => createOpenAiParser("chat"),
});
