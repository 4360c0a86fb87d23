/**
 * Trace replay: JSONL records `{timestamp_ms, input_len | prompt | messages,
 * output_len}`. Requests keep the trace's own arrival times: offsetsMs[i] is
 * (timestamp_i − first timestamp) / time_scale, so time_scale 2 replays twice
 * as fast. Records with only `input_len` get a random prompt of exactly that
 * many tokens. The first `numPrompts` records (in time order) are replayed.
 */
import type { WorkloadItem } from "../base/request-types.ts";
import { VbenchError } from "../base/errors.ts";
import { checkDatasetFile, malformed, readJsonl } from "./files.ts";
import { countInputTokens, toPromptRecord, type PromptRecord } from "./jsonl.ts";
import { lengthSource } from "./random.ts";
import type { ItemSource } from "./source.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface TraceWorkloadOptions {
  path: string;
  numPrompts: number;
  timeScale: number;
  /** For records without output_len. */
  outputLen: number;
  seed: number;
}

/** The trace's data: the records replayed, in time order. */
export interface TraceData {
  type: "trace";
  records: TraceRecord[];
  /** For records without output_len. */
  outputLen: number;
  seed: number;
}

interface TraceRecord {
  timestampMs: number;
  inputLen?: number;
  text?: PromptRecord;
  outputLen?: number;
}

/** Read the trace: the records to replay and their arrival offsets (ms from the first, already divided by time_scale). */
export async function loadTrace(opts: TraceWorkloadOptions, notes: string[]): Promise<{ data: TraceData; offsetsMs: Float64Array }> {
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
  const first = replay[0].timestampMs;
  const offsetsMs = Float64Array.from(replay, (record) => (record.timestampMs - first) / opts.timeScale);
  return { data: { type: "trace", records: replay, outputLen: opts.outputLen, seed: opts.seed }, offsetsMs };
}

/** Request g replays record g: its text, or a random prompt of exactly its input_len (random.ts lengthSource). */
export function traceSource(data: TraceData, tokenizer: Tokenizer): ItemSource {
  const generated = lengthSource(data.seed, tokenizer, (_rng, g) => ({ prefixIds: [], inputTokens: data.records[g]!.inputLen!, outputTokens: data.records[g]!.outputLen ?? data.outputLen }));
  return {
    item(g) {
      const record = data.records[g]!;
      if (!record.text) return generated.item(g);
      const item: WorkloadItem = { prompt: record.text.prompt, inputTokens: countInputTokens(record.text, tokenizer), outputTokens: record.outputLen ?? data.outputLen };
      if (record.text.messages) item.messages = record.text.messages;
      return item;
    },
    lateNotes: () => generated.lateNotes(),
  };
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
