/**
 * JSONL dataset: one object per line with `prompt` (text) or `messages`
 * (chat), and an optional `output_len`. The file is streamed; a seeded
 * reservoir keeps only the sample in memory, and a record is tokenized when
 * its first request is built.
 */
import { createRng } from "../base/rng.ts";
import type { ChatMessage, WorkloadItem } from "../base/request-types.ts";
import { VbenchError } from "../base/errors.ts";
import { checkDatasetFile, malformed, readJsonl } from "./files.ts";
import { Oversampler, Reservoir, shuffleInPlace } from "./sampling.ts";
import type { ItemSource } from "./source.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface JsonlWorkloadOptions {
  path: string;
  numPrompts: number;
  /** Used for lines without their own output_len. */
  outputLen: number;
  /** false: the first numPrompts lines in file order. */
  shuffle: boolean;
  seed: number;
}

/** One validated line, before tokenization. */
export interface PromptRecord {
  prompt: string;
  messages?: ChatMessage[];
  outputLen?: number;
}

const ROLES = new Set(["system", "user", "assistant"]);

/** Validates a dataset line's prompt fields; shared with the trace reader. */
export function toPromptRecord(value: Record<string, unknown>, path: string, lineNo: number): PromptRecord | undefined {
  const outputLen = value.output_len;
  if (outputLen !== undefined && !(Number.isInteger(outputLen) && (outputLen as number) >= 1)) {
    throw malformed(path, lineNo, `output_len must be an integer >= 1, found ${JSON.stringify(outputLen)}`);
  }
  const out = outputLen as number | undefined;
  if (value.messages !== undefined) {
    const messages = value.messages;
    if (!Array.isArray(messages) || messages.length === 0) throw malformed(path, lineNo, "messages must be a non-empty array");
    for (const [i, m] of messages.entries()) {
      const msg = m as Partial<ChatMessage> | null;
      if (typeof msg !== "object" || msg === null || !ROLES.has(msg.role as string) || typeof msg.content !== "string") {
        throw malformed(path, lineNo, `messages[${i}] must be {role: system|user|assistant, content: string}`);
      }
    }
    const chat = messages as ChatMessage[];
    const lastUser = chat.findLast((m) => m.role === "user");
    if (!lastUser) throw malformed(path, lineNo, "messages has no user message");
    return { prompt: lastUser.content, messages: chat, outputLen: out };
  }
  if (typeof value.prompt === "string") return { prompt: value.prompt, outputLen: out };
  if (value.prompt !== undefined) throw malformed(path, lineNo, "prompt must be a string");
  return undefined;
}

/** Tokens of a record: the prompt, or the sum over all messages (no chat template is applied). */
export function countInputTokens(record: PromptRecord, tokenizer: Tokenizer): number {
  if (!record.messages) return tokenizer.encode(record.prompt).length;
  let total = 0;
  for (const m of record.messages) total += tokenizer.encode(m.content).length;
  return total;
}

/** The jsonl dataset's data: the seeded sample of the file's records, in request order. */
export interface JsonlData {
  type: "jsonl";
  path: string;
  /** Beyond the sample (a file with fewer records than requests), records are picked again at random (vLLM's oversampling). */
  records: PromptRecord[];
  outputLen: number;
  seed: number;
}

/** Read the file and draw the sample; no token is counted here (that happens as requests are built). */
export async function loadJsonl(opts: JsonlWorkloadOptions): Promise<JsonlData> {
  await checkDatasetFile(opts.path, "jsonl");
  const rng = createRng(opts.seed, "sampling");
  const reservoir = new Reservoir<PromptRecord>(rng, opts.numPrompts);
  for await (const { value, lineNo } of readJsonl(opts.path)) {
    const record = toPromptRecord(value, opts.path, lineNo);
    if (!record) throw malformed(opts.path, lineNo, "expected a \"prompt\" string or a \"messages\" array");
    // Without shuffling the reservoir is filled in file order and never replaced from.
    if (opts.shuffle || reservoir.items.length < opts.numPrompts) reservoir.offer(record);
  }
  if (reservoir.items.length === 0) {
    throw new VbenchError("dataset_empty", `The jsonl dataset ${opts.path} has no prompts`, {
      hint: "Each line needs a \"prompt\" string or a \"messages\" array.",
    });
  }
  const records = opts.shuffle ? shuffleInPlace(rng, reservoir.items) : reservoir.items;
  return { type: "jsonl", path: opts.path, records, outputLen: opts.outputLen, seed: opts.seed };
}

/** Request g: sample record g, or past the sample a record picked at random; each record is tokenized once. */
export function jsonlSource(data: JsonlData, tokenizer: Tokenizer): ItemSource {
  const counted = new Int32Array(data.records.length).fill(-1);
  const sampler = new Oversampler(data.seed, `jsonl dataset ${data.path}`);
  return {
    item(g) {
      const k = sampler.pick(g, data.records.length);
      const record = data.records[k]!;
      if (counted[k]! < 0) counted[k] = countInputTokens(record, tokenizer);
      const item: WorkloadItem = { prompt: record.prompt, inputTokens: counted[k]!, outputTokens: record.outputLen ?? data.outputLen };
      if (record.messages) item.messages = record.messages;
      return item;
    },
    lateNotes: () => sampler.notes(data.records.length),
  };
}
