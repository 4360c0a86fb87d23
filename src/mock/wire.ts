/**
 * The bytes the simulator sends, per API (spec/wire.md): OpenAI chat and
 * completions as vLLM sends them (`data: ` with a space, `[DONE]` last), TGI
 * as text-generation-inference does (`data:` without a space, no `[DONE]`).
 * Per-request prefixes are built once; a chunk costs one string concat.
 */
import type { TokenText } from "./text.ts";

export type ApiKind = "chat" | "completion" | "tgi";

/** Placeholder replaced by invalid UTF-8 bytes (bad-utf8 fault); plain ASCII, safe inside JSON. */
export const BAD_UTF8_MARK = "~~BAD-UTF8~~";

export interface WireContext {
  kind: ApiKind;
  /** Request index, used in ids. */
  index: number;
  model: string;
  text: TokenText;
  outputTokens: number;
  promptTokens: number;
  includeUsage: boolean;
}

export interface Wire {
  readonly contentType: string;
  /** Events sent with the first token, before it (chat: the role-only delta). Empty string when none. */
  head(): string;
  /** Event for tokens [from, to); `text` overrides their text (faults). */
  tokens(from: number, to: number, text?: string): string;
  /** Events after the last token (usage, [DONE]). */
  tail(): string;
  /** The error object (OpenAI `{"error":{...}}`, TGI `{"error","error_type"}`). */
  errorJson(message: string): string;
  /** The error object as an in-stream event, plus [DONE] for OpenAI. */
  errorEvent(message: string): string;
  /** An event whose JSON is cut off. */
  malformedEvent(): string;
  /** Non-streaming response body for `sent` tokens. */
  body(sent: number, text?: string): string;
}

export function createWire(context: WireContext): Wire {
  const created = Math.floor(Date.now() / 1000);
  const model = JSON.stringify(context.model);
  const usage = `{"prompt_tokens":${context.promptTokens},"total_tokens":${context.promptTokens + context.outputTokens},"completion_tokens":${context.outputTokens}}`;
  const finish = (to: number): string => (to >= context.outputTokens ? `"length"` : "null");
  const q = (s: string): string => JSON.stringify(s);

  if (context.kind === "tgi") {
    const details = `{"finish_reason":"length","generated_tokens":${context.outputTokens},"seed":null}`;
    return {
      contentType: "text/event-stream",
      head: () => "",
      tokens(from, _to, text) {
        const last = from + 1 >= context.outputTokens;
        const tail = last ? `${q(context.text.range(0, context.outputTokens))},"details":${details}}\n\n` : `null,"details":null}\n\n`;
        return `data:{"index":${from + 1},"token":{"id":${context.text.id(from)},"text":${text === undefined ? context.text.quoted(from, from + 1) : q(text)},"logprob":-0.25,"special":false},"generated_text":${tail}`;
      },
      tail: () => "",
      errorJson: (message) => tgiError(message, "overloaded"),
      errorEvent: (message) => `data:${tgiError(message, "overloaded")}\n\n`,
      malformedEvent: () => `data:{"index":0,"token":{"id":0,"text":" oops"\n\n`,
      body: (sent, text) =>
        `{"generated_text":${q(text ?? context.text.range(0, sent))},"details":{"finish_reason":"length","generated_tokens":${sent},"seed":null}}`,
    };
  }

  const chat = context.kind === "chat";
  const id = chat ? `chatcmpl-mock-${context.index}` : `cmpl-mock-${context.index}`;
  const object = chat ? "chat.completion.chunk" : "text_completion";
  const prefix = `data: {"id":"${id}","object":"${object}","created":${created},"model":${model},"choices":[{"index":0,`;
  const doneTail = context.includeUsage
    ? `data: {"id":"${id}","object":"${object}","created":${created},"model":${model},"choices":[],"usage":${usage}}\n\ndata: [DONE]\n\n`
    : "data: [DONE]\n\n";
  return {
    contentType: "text/event-stream",
    head: () => (chat ? `${prefix}"delta":{"role":"assistant"},"logprobs":null,"finish_reason":null}]}\n\n` : ""),
    tokens(from, to, text) {
      const t = text === undefined ? context.text.quoted(from, to) : q(text);
      return chat
        ? `${prefix}"delta":{"content":${t}},"logprobs":null,"finish_reason":${finish(to)}}]}\n\n`
        : `${prefix}"text":${t},"logprobs":null,"finish_reason":${finish(to)},"stop_reason":null}]}\n\n`;
    },
    tail: () => doneTail,
    errorJson: (message) => openAiError(message, "InternalServerError", 500),
    errorEvent: (message) => `data: ${openAiError(message, "InternalServerError", 500)}\n\ndata: [DONE]\n\n`,
    malformedEvent: () => `${prefix}"delta":{"content":" oops"\n\n`,
    body(sent, text) {
      const t = q(text ?? context.text.range(0, sent));
      const u = `{"prompt_tokens":${context.promptTokens},"total_tokens":${context.promptTokens + sent},"completion_tokens":${sent}}`;
      const choice = chat
        ? `{"index":0,"message":{"role":"assistant","content":${t}},"logprobs":null,"finish_reason":"length"}`
        : `{"index":0,"text":${t},"logprobs":null,"finish_reason":"length","stop_reason":null}`;
      return `{"id":"${id}","object":"${chat ? "chat.completion" : "text_completion"}","created":${created},"model":${model},"choices":[${choice}],"usage":${u}}`;
    },
  };
}

/** An OpenAI-style error body (vLLM's shape). */
export function openAiError(message: string, type: string, code: number): string {
  return JSON.stringify({ error: { message, type, code } });
}

/** A TGI error body. */
export function tgiError(message: string, errorType: string): string {
  return JSON.stringify({ error: message, error_type: errorType });
}

/** Encode `s`, replacing BAD_UTF8_MARK with the invalid bytes 0xFF 0xFE. */
export function withBadUtf8(s: string): Uint8Array {
  const i = s.indexOf(BAD_UTF8_MARK);
  const bytes = new TextEncoder().encode(s);
  if (i < 0) return bytes;
  const head = new TextEncoder().encode(s.slice(0, i)).length;
  const markLen = BAD_UTF8_MARK.length;
  const out = new Uint8Array(bytes.length - markLen + 2);
  out.set(bytes.subarray(0, head));
  out[head] = 0xff;
  out[head + 1] = 0xfe;
  out.set(bytes.subarray(head + markLen), head + 2);
  return out;
}
