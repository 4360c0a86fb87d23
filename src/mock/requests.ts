/**
 * Reading generation request bodies: which API, the output length, streaming,
 * the prompt text (for prompt_tokens). Invalid bodies become 4xx answers with
 * the API's own error shape.
 */
import { DEFAULT_OUTPUT_TOKENS } from "./options.ts";
import type { ApiKind } from "./wire.ts";

export interface ParsedRequest {
  kind: ApiKind;
  stream: boolean;
  includeUsage: boolean;
  outputTokens: number;
  /** The model named in the body ("" when absent; TGI bodies carry none). */
  model: string;
  /** Prompt text pieces (chat: each message's text); token ids when a completions prompt is ids. */
  promptTexts: string[];
  promptIdCount: number;
}

export type ParseResult = { ok: true; request: ParsedRequest } | { ok: false; status: number; message: string };

const invalid = (message: string, status = 400): ParseResult => ({ ok: false, status, message });

function lengthField(body: Record<string, unknown>, names: string[]): number | string {
  for (const name of names) {
    const v = body[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) return `${name} must be an integer >= 1, got ${JSON.stringify(v)}`;
    return v;
  }
  return DEFAULT_OUTPUT_TOKENS;
}

function chatTexts(messages: unknown): string[] | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const out: string[] = [];
  for (const m of messages) {
    if (typeof m !== "object" || m === null) return undefined;
    const content = (m as { content?: unknown }).content;
    if (typeof content === "string") out.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = (part as { text?: unknown } | null)?.text;
        if (typeof text === "string") out.push(text);
      }
    }
  }
  return out;
}

export function parseGenerationBody(kind: ApiKind, raw: unknown): ParseResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid("request body must be a JSON object");
  const body = raw as Record<string, unknown>;
  const model = typeof body.model === "string" ? body.model : "";
  if (kind === "tgi") {
    if (typeof body.inputs !== "string") return invalid("`inputs` must be a string", 422);
    const params = (typeof body.parameters === "object" && body.parameters !== null ? body.parameters : {}) as Record<string, unknown>;
    const n = lengthField(params, ["max_new_tokens"]);
    if (typeof n === "string") return invalid(n, 422);
    return { ok: true, request: { kind, stream: false, includeUsage: false, outputTokens: n, model, promptTexts: [body.inputs], promptIdCount: 0 } };
  }
  const stream = body.stream === true;
  const so = body.stream_options as { include_usage?: unknown } | null | undefined;
  const includeUsage = stream && typeof so === "object" && so !== null && so.include_usage === true;
  const n = lengthField(body, kind === "chat" ? ["max_completion_tokens", "max_tokens"] : ["max_tokens"]);
  if (typeof n === "string") return invalid(n);
  if (kind === "chat") {
    const texts = chatTexts(body.messages);
    if (!texts) return invalid("`messages` must be a non-empty array of messages");
    return { ok: true, request: { kind, stream, includeUsage, outputTokens: n, model, promptTexts: texts, promptIdCount: 0 } };
  }
  const p = body.prompt;
  if (typeof p === "string") return { ok: true, request: { kind, stream, includeUsage, outputTokens: n, model, promptTexts: [p], promptIdCount: 0 } };
  if (Array.isArray(p) && p.every((x) => typeof x === "number"))
    return { ok: true, request: { kind, stream, includeUsage, outputTokens: n, model, promptTexts: [], promptIdCount: p.length } };
  if (Array.isArray(p) && p.length === 1 && typeof p[0] === "string")
    return { ok: true, request: { kind, stream, includeUsage, outputTokens: n, model, promptTexts: [p[0]], promptIdCount: 0 } };
  return invalid("`prompt` must be a string or an array of token ids (one prompt per request)");
}

export type PromptCounter = (r: ParsedRequest) => number;

/**
 * prompt_tokens: the GPT-2 (r50k_base) count of the prompt text, summed over
 * chat messages' contents (no chat template is applied, so a real vLLM would
 * report a few tokens more); or ceil(chars / 4) when exact counting is off.
 * The tokenizer is imported only when needed (0.5 MB, not loaded for other commands).
 */
export async function createPromptCounter(exact: boolean): Promise<PromptCounter> {
  if (!exact) {
    return (r) => r.promptIdCount + r.promptTexts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
  }
  const { encode } = await import("gpt-tokenizer/encoding/r50k_base");
  return (r) => r.promptIdCount + r.promptTexts.reduce((sum, t) => sum + (t === "" ? 0 : encode(t).length), 0);
}
