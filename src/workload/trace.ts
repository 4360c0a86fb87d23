/**
 * Trace replay: JSONL records `{timestamp_ms, input_len | prompt | messages,
 * output_len}`. Requests keep the trace's own arrival times: offsetsMs[i] is
 * (timestamp_i − first timestamp) / time_scale, so time_scale 2 replays twice
 * as fast. Records with only `input_len` get a random prompt of exactly that
 * many tokens. The first `numPrompts` records (in time order) are replayed.
 */
import { createRng } from "../core/rng.ts";
import type { WorkloadItem } from "../core/types.ts";
import { VbenchError } from "../core/errors.ts";
import { checkDatasetFile, malformed, readJsonl } from "./files.ts";
import { countInputTokens, toPromptRecord, type PromptRecord } from "./jsonl.ts";
import { PromptBuilder } from "./prompt-builder.ts";
import { inexactNote } from "./random.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface TraceWorkloadOptions {
  path: string;
  numPrompts: number;
  timeScale: number;
  /** For records without output_len. */
  outputLen: number;
  seed: number;
}

export interface TraceWorkload {
  items: WorkloadItem[];
  /** Arrival offset of each item in ms from the first, already divided by time_scale. */
  offsetsMs: Float64Array;
}

interface TraceRecord {
  timestampMs: number;
  inputLen?: number;
  text?: PromptRecord;
  outputLen?: number;
}

export async function buildTraceWorkload(opts: TraceWorkloadOptions, tokenizer: Tokenizer, notes: string[]): Promise<TraceWorkload> {
  await checkDatasetFile(opts.path, "trace");
  const records: TraceRecord[] = [];
  let sorted = true;
  for await (const { value, lineNo } of readJsonl(opts.path)) {
    const record = toTraceRecord(value, opts.path, lineNo);
    if (records.length > 0 && record.timestampMs < records[records.length - 1].timestampMs) sorted = false;
    records.push(record);
  }
  if (records.length === 0) {
    throw new VbenchError("dataset_empty", `The trace ${opts.path} has no records`, {
      hint: "Each line: {\"timestamp_ms\": 0, \"input_len\": 512, \"output_len\": 128}.",
    });
  }
  if (!sorted) {
    records.sort((a, b) => a.timestampMs - b.timestampMs); // stable: equal timestamps keep file order
    notes.push(`trace ${opts.path}: records were not in time order and were sorted by timestamp_ms`);
  }
  if (records.length !== opts.numPrompts) {
    const replayed = Math.min(records.length, opts.numPrompts);
    notes.push(`trace ${opts.path}: replaying ${replayed} of its ${records.length} records (${opts.numPrompts} requested)`);
  }
  const replay = records.slice(0, opts.numPrompts);

  const builder = new PromptBuilder(tokenizer, createRng(opts.seed, "prompt-tokens"));
  const first = replay[0].timestampMs;
  const offsetsMs = new Float64Array(replay.length);
  const items = replay.map((record, i) => {
    offsetsMs[i] = (record.timestampMs - first) / opts.timeScale;
    const outputTokens = record.outputLen ?? opts.outputLen;
    if (record.text) {
      const item: WorkloadItem = { prompt: record.text.prompt, inputTokens: countInputTokens(record.text, tokenizer), outputTokens };
      if (record.text.messages) item.messages = record.text.messages;
      return item;
    }
    const built = builder.build(record.inputLen as number);
    return { prompt: built.prompt, inputTokens: built.inputTokens, outputTokens };
  });
  if (builder.inexact > 0) notes.push(inexactNote(builder.inexact, items.length));
  return { items, offsetsMs };
}

function toTraceRecord(value: Record<string, unknown>, path: string, lineNo: number): TraceRecord {
  const timestampMs = value.timestamp_ms;
  if (typeof timestampMs !== "number" || !Number.isFinite(timestampMs) || timestampMs < 0) {
    throw malformed(path, lineNo, `timestamp_ms must be a number >= 0, found ${JSON.stringify(timestampMs)}`);
  }
  const text = toPromptRecord(value, path, lineNo); // also validates output_len
  const outputLen = value.output_len as number | undefined;
  if (text) return { timestampMs, text, outputLen };
  const inputLen = value.input_len;
  if (!(Number.isInteger(inputLen) && (inputLen as number) >= 1)) {
    throw malformed(path, lineNo, "needs input_len (an integer >= 1), prompt or messages");
  }
  return { timestampMs, inputLen: inputLen as number, outputLen };
}
