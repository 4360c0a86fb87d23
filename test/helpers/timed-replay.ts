/**
 * Test helper: a recorded response through a real TimedRequest (framer,
 * backend parser, clock stamps, record), one SSE event per read at a known
 * run-clock time, so tests can assert the record a real stream produces.
 */
import { TimedRequest } from "../../src/engine/request.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";

export interface TimedReplay {
  /** Prompt length vbench built. */
  inputTokens: number;
  requestedOutputTokens: number;
  status?: number;
  contentType?: string;
  /** Request sent at this run-clock time (ms). */
  sentAtMs?: number;
  /** Read k arrives at sentAtMs + firstMs + k·gapMs ... */
  firstMs?: number;
  gapMs?: number;
  /** ... or at sentAtMs + readAtMs[k]; the end follows the last read. */
  readAtMs?: readonly number[];
}

/** Concatenate reads (events written together, as a server flushes them in one write). */
export function joinReads(...reads: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(reads));
}

/** Split an SSE body after every blank line, so each event is its own read. */
export function sseEvents(bytes: Uint8Array): Uint8Array[] {
  const text = new TextDecoder().decode(bytes);
  const enc = new TextEncoder();
  return text.split(/(?<=\r?\n\r?\n)/).filter((part) => part.length > 0).map((part) => enc.encode(part));
}

export function timedReplay(backend: BackendPlugin, reads: readonly Uint8Array[], o: TimedReplay): RequestRecord {
  const records: RequestRecord[] = [];
  const prepared = { head: new Uint8Array(), tail: new Uint8Array(), inputTokens: o.inputTokens, requestedOutputTokens: o.requestedOutputTokens };
  const request = new TimedRequest(0, "replay-0", prepared, backend, 0, 0, 0, (_, record) => records.push(record));
  const sent = o.sentAtMs ?? 0;
  const first = o.firstMs ?? 10;
  const gap = o.gapMs ?? 5;
  request.markSent(sent);
  request.onHead(o.status ?? 200, o.contentType ?? "text/event-stream", sent + first);
  const at = (k: number) => sent + (o.readAtMs?.[k] ?? first + k * gap);
  reads.forEach((bytes, k) => request.onBody(bytes, 0, bytes.byteLength, at(k)));
  request.onEnd(at(reads.length - 1) + gap);
  if (records.length !== 1) throw new Error(`expected one record, got ${records.length}`);
  return records[0]!;
}
