/**
 * Test helper: feed recorded stream bytes through the SSE framer and a
 * backend's parser, the way the core's request loop does, and summarise what
 * came out so that differently-split replays can be compared.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSseFramer } from "../../src/wire/sse.ts";
import { PayloadKind } from "../../src/base/plugin-types.ts";
import type { BackendPlugin } from "../../src/base/plugin-types.ts";
import type { Rng } from "../../src/base/rng.ts";

export interface ReplaySummary {
  kinds: PayloadKind[];
  tokenBearing: number;
  text: string;
  outputTokens?: number;
  promptTokens?: number;
  finishReason?: string;
  error?: string;
  ended: boolean;
}

const FIXTURES = join(import.meta.dir, "..", "fixtures", "streams");

export function loadFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export function isTokenBearing(kind: PayloadKind): boolean {
  return kind === PayloadKind.Token || kind === PayloadKind.TokenAndDone || carriesNoText(kind);
}

/** A token-bearing message the parser says carried no generated text. */
export function carriesNoText(kind: PayloadKind): boolean {
  return kind === PayloadKind.TokenNoText || kind === PayloadKind.TokenNoTextAndDone;
}

export function replay(backend: BackendPlugin, chunks: Iterable<Uint8Array>, end?: { truncated?: boolean }): ReplaySummary {
  const parser = backend.createParser();
  const kinds: PayloadKind[] = [];
  // As TimedRequest wires it: the parser's byte path (when it has one) is offered each event first.
  const takeBytes = parser.onPayloadBytes
    ? (bytes: Uint8Array, start: number, end: number) => {
        const kind = parser.onPayloadBytes!(bytes, start, end);
        if (kind !== undefined) kinds.push(kind);
        return kind !== undefined;
      }
    : null;
  const framer = createSseFramer((payload) => kinds.push(parser.onPayload(payload)), takeBytes);
  for (const chunk of chunks) framer.push(chunk);
  framer.end(end);
  const s = parser.state;
  const out: ReplaySummary = {
    kinds,
    tokenBearing: kinds.filter(isTokenBearing).length,
    text: s.textParts.join(""),
    ended: s.ended,
  };
  // Only defined fields, so toEqual compares like with like.
  if (s.outputTokens !== undefined) out.outputTokens = s.outputTokens;
  if (s.promptTokens !== undefined) out.promptTokens = s.promptTokens;
  if (s.finishReason !== undefined) out.finishReason = s.finishReason;
  if (s.error !== undefined) out.error = s.error;
  return out;
}

/** Split at the given offsets (any order, duplicates and 0/len allowed: they make empty reads). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = [...cuts].map((c) => Math.max(0, Math.min(bytes.length, c))).sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const cut of sorted) {
    parts.push(bytes.subarray(from, cut));
    from = cut;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

export function randomCuts(rng: Rng, length: number, maxCuts: number): number[] {
  const n = rng.int(1, maxCuts);
  const cuts: number[] = [];
  for (let i = 0; i < n; i++) cuts.push(rng.int(0, length));
  return cuts;
}

export function oneBytePieces(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) parts.push(bytes.subarray(i, i + 1));
  return parts;
}
