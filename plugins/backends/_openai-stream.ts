/**
 * The stream parser shared by the OpenAI-compatible backends (chat and
 * completions), plus `/v1/models` discovery. Token-bearing rule
 * (spec/metrics.md): a JSON payload with a non-empty `choices` array, even a
 * role-only delta or an empty `text`. Usage-only chunks and `[DONE]` are not.
 * A token-bearing message without generated text (a role-only delta, an
 * empty finish chunk) is reported as `TokenNoText`: vLLM's ITL counts it, the
 * content ITL does not.
 */
import { PayloadKind } from "../../src/base/plugin-types.ts";
import type { ParsedResponse, ResponseParser } from "../../src/base/plugin-types.ts";
import { isRecord, malformed, openAiErrorText } from "./_body.ts";
import type { JsonObject } from "./_body.ts";
import { PROBE_TEXT, TextTemplate } from "./_text-template.ts";

export type OpenAiFlavour = "chat" | "completions";

class OpenAiStreamParser implements ResponseParser {
  readonly state: ParsedResponse = { textParts: [], ended: false };
  /** Absent in a probe's parser and with `templates: false` (see TextTemplate). */
  private readonly template: TextTemplate | undefined;

  constructor(private readonly chat: boolean, templates: boolean) {
    this.template = templates ? new TextTemplate(chat ? '"content"' : '"text"') : undefined;
  }

  onPayloadBytes(bytes: Uint8Array, start: number, end: number): PayloadKind | undefined {
    const text = this.template?.read(bytes, start, end);
    if (text === undefined) return undefined;
    this.state.textParts.push(text);
    return PayloadKind.Token;
  }

  onPayload(payload: string): PayloadKind {
    const parts = this.state.textParts.length;
    const kind = this.parse(payload);
    // A token chunk with one text teaches the template this stream's layout.
    if (this.template !== undefined && kind === PayloadKind.Token && this.state.textParts.length === parts + 1) {
      this.template.learn(payload, this.state.textParts[parts]!, (candidate) => this.onlyProbeText(candidate));
    }
    return kind;
  }

  /** Whether `candidate`'s whole effect on a fresh parser is one token carrying PROBE_TEXT. */
  private onlyProbeText(candidate: string): boolean {
    const probe = new OpenAiStreamParser(this.chat, false);
    const kind = probe.parse(candidate);
    const { textParts, ended, outputTokens, promptTokens, finishReason, error } = probe.state;
    const untouched = !ended && outputTokens === undefined && promptTokens === undefined && finishReason === undefined && error === undefined;
    return kind === PayloadKind.Token && untouched && textParts.length === 1 && textParts[0] === PROBE_TEXT;
  }

  private parse(payload: string): PayloadKind {
    if (payload === "[DONE]") return this.done();
    let obj: unknown;
    try {
      obj = JSON.parse(payload);
    } catch {
      const trimmed = payload.trim();
      // Empty data is a keep-alive (vLLM's client skips it too).
      if (trimmed === "") return PayloadKind.Ignore;
      if (trimmed === "[DONE]") return this.done();
      return this.fail(malformed(payload));
    }
    if (!isRecord(obj)) return this.fail(malformed(payload));
    const errorText = openAiErrorText(obj);
    if (errorText !== undefined) return this.fail(errorText);

    // Usage may ride on any chunk (continuous usage stats): the last one wins.
    const usage = obj.usage;
    let usageTokens = false;
    if (isRecord(usage)) {
      if (typeof usage.completion_tokens === "number") {
        this.state.outputTokens = usage.completion_tokens;
        usageTokens = true;
      }
      if (typeof usage.prompt_tokens === "number") this.state.promptTokens = usage.prompt_tokens;
    }

    const choices = obj.choices;
    if (!Array.isArray(choices) || choices.length === 0) return PayloadKind.Ignore;
    // Only the first choice, as vLLM's client (n = 1 in benchmarks).
    const choice: unknown = choices[0];
    if (!isRecord(choice)) return PayloadKind.TokenNoText;
    if (typeof choice.finish_reason === "string") this.state.finishReason = choice.finish_reason;
    if (this.chat) {
      const delta = choice.delta;
      if (isRecord(delta)) return this.pushChatText(delta) ? PayloadKind.Token : PayloadKind.TokenNoText;
      const message = choice.message;
      // A non-streaming body: `message` instead of `delta`.
      if (isRecord(message)) {
        const text = this.pushChatText(message);
        this.state.ended = true;
        return text ? PayloadKind.TokenAndDone : PayloadKind.TokenNoTextAndDone;
      }
      return PayloadKind.TokenNoText;
    }
    const text = choice.text;
    const hasText = typeof text === "string" && text.length > 0;
    if (hasText) this.state.textParts.push(text);
    // A completions body without streaming looks like a stream chunk; it is the
    // only payload that carries both a finish reason and the token count. (A
    // stream with continuous usage stats, or llama-server's, which always
    // sends usage on its finish chunk, gets `ended` one chunk before [DONE].)
    if (usageTokens && typeof choice.finish_reason === "string") {
      this.state.ended = true;
      return hasText ? PayloadKind.TokenAndDone : PayloadKind.TokenNoTextAndDone;
    }
    return hasText ? PayloadKind.Token : PayloadKind.TokenNoText;
  }

  /** Keep the message's generated text; true when it carried any (content, reasoning or tool calls). */
  private pushChatText(delta: JsonObject): boolean {
    let carried = false;
    const content = delta.content;
    if (typeof content === "string" && content.length > 0) {
      this.state.textParts.push(content);
      carried = true;
    }
    // vLLM has sent the same reasoning text under both names: take one.
    const reasoning = typeof delta.reasoning_content === "string" ? delta.reasoning_content : delta.reasoning;
    if (typeof reasoning === "string" && reasoning.length > 0) {
      this.state.textParts.push(reasoning);
      carried = true;
    }
    // Tool-call arguments are generated tokens too, though not kept as text.
    if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) carried = true;
    return carried;
  }

  private done(): PayloadKind {
    this.state.ended = true;
    return PayloadKind.Done;
  }

  private fail(message: string): PayloadKind {
    // Keep the first error: later payloads are usually consequences of it.
    this.state.error ??= message;
    return PayloadKind.Error;
  }
}

/** `templates: false` parses every payload in full (tests compare the two). */
export function createOpenAiParser(flavour: OpenAiFlavour, templates = true): ResponseParser {
  return new OpenAiStreamParser(flavour === "chat", templates);
}

/** `GET /v1/models` → the served ids (`data[].id`); an unexpected body gives none. */
export function parseOpenAiModels(body: unknown): string[] {
  if (!isRecord(body) || !Array.isArray(body.data)) return [];
  const ids: string[] = [];
  for (const model of body.data) if (isRecord(model) && typeof model.id === "string") ids.push(model.id);
  return ids;
}
