/**
 * Records on their way from an engine worker to the main thread, packed: the
 * numbers of a whole batch in one Float64Array (each record's fixed fields,
 * then its token times), its strings in one array, and the fields most
 * records lack beside them. A structured clone of record objects costs per
 * property: measured in Bun 1.4.5, 5 µs a record (0.35 ms per post of 64)
 * against 0.9 µs packed, and 0.7–1.2 ms per post of 64 inside the read
 * callback that finished the 64th record at 1024 streams, where every other
 * stream's read waited for it (docs/performance.md).
 */
import type { RequestRecord } from "../base/request-types.ts";

export interface PackedRecords {
  count: number;
  /** Per record FIXED numbers, then its chunk times. */
  nums: Float64Array;
  /** Per record: requestId, finishReason, generatedText (null: absent). */
  strings: (string | null)[];
  /** [position in the batch, its rarer fields] for the records that have any. */
  rare: [number, Partial<RequestRecord>][];
}

const FIXED = 16;
const RARE_KEYS = ["noTextChunks", "resent", "firstSentAtMs", "error", "tokenizerOutputTokens", "session", "turn"] as const;
/** Presence bits of the optional numbers. */
const HAS_SLOT_WAIT = 1;
const HAS_WORKER = 2;
const HAS_SERVER_INPUT = 4;

export function packRecords(records: readonly RequestRecord[]): PackedRecords {
  let size = 0;
  for (const r of records) size += FIXED + r.chunkAtMs.length;
  const nums = new Float64Array(size);
  const strings: (string | null)[] = [];
  const rare: [number, Partial<RequestRecord>][] = [];
  let o = 0;
  for (let k = 0; k < records.length; k++) {
    const r = records[k]!;
    const has = (r.slotWaitMs !== undefined ? HAS_SLOT_WAIT : 0) | (r.worker !== undefined ? HAS_WORKER : 0) | (r.serverInputTokens !== undefined ? HAS_SERVER_INPUT : 0);
    nums[o] = r.index;
    nums[o + 1] = r.scheduledAtMs;
    nums[o + 2] = r.dispatchedAtMs;
    nums[o + 3] = r.slotWaitMs ?? 0;
    nums[o + 4] = r.worker ?? 0;
    nums[o + 5] = r.sentAtMs;
    nums[o + 6] = r.endAtMs;
    nums[o + 7] = r.doneAtMs;
    nums[o + 8] = r.success ? 1 : 0;
    nums[o + 9] = r.inputTokens;
    nums[o + 10] = r.serverInputTokens ?? 0;
    nums[o + 11] = r.outputTokens;
    nums[o + 12] = r.outputTokenSource === "server" ? 0 : 1;
    nums[o + 13] = r.requestedOutputTokens;
    nums[o + 14] = has;
    nums[o + 15] = r.chunkAtMs.length;
    nums.set(r.chunkAtMs, o + FIXED);
    o += FIXED + r.chunkAtMs.length;
    strings.push(r.requestId, r.finishReason ?? null, r.generatedText ?? null);
    let extra: Partial<RequestRecord> | null = null;
    for (const key of RARE_KEYS) if (r[key] !== undefined) (extra ??= {})[key] = r[key] as never;
    if (extra) rare.push([k, extra]);
  }
  return { count: records.length, nums, strings, rare };
}

export function unpackRecords(packed: PackedRecords): RequestRecord[] {
  const { nums, strings } = packed;
  const out: RequestRecord[] = [];
  let o = 0;
  for (let k = 0; k < packed.count; k++) {
    const has = nums[o + 14]!;
    const chunks = nums[o + 15]!;
    const record: RequestRecord = {
      index: nums[o]!,
      requestId: strings[3 * k]!,
      scheduledAtMs: nums[o + 1]!,
      dispatchedAtMs: nums[o + 2]!,
      sentAtMs: nums[o + 5]!,
      // A copy, never a view of the batch (see TimedRequest.complete).
      chunkAtMs: nums.slice(o + FIXED, o + FIXED + chunks),
      endAtMs: nums[o + 6]!,
      doneAtMs: nums[o + 7]!,
      success: nums[o + 8] === 1,
      inputTokens: nums[o + 9]!,
      outputTokens: nums[o + 11]!,
      outputTokenSource: nums[o + 12] === 0 ? "server" : "tokenizer",
      requestedOutputTokens: nums[o + 13]!,
    };
    if (has & HAS_SLOT_WAIT) record.slotWaitMs = nums[o + 3]!;
    if (has & HAS_WORKER) record.worker = nums[o + 4]!;
    if (has & HAS_SERVER_INPUT) record.serverInputTokens = nums[o + 10]!;
    const finishReason = strings[3 * k + 1];
    if (finishReason != null) record.finishReason = finishReason;
    const text = strings[3 * k + 2];
    if (text != null) record.generatedText = text;
    out.push(record);
    o += FIXED + chunks;
  }
  for (const [k, extra] of packed.rare) Object.assign(out[k]!, extra);
  return out;
}
