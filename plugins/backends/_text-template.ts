/**
 * A stream's token events differ only in their text: a server writes the
 * same id, model, created time and choice around it in every chunk. A
 * TextTemplate learns the bytes before and after the text from one payload
 * and then reads the next events' text straight from the read's bytes: no
 * decode of the event, no JSON.parse. Inside a run at 1024 streams the
 * decode and the parse were most of what vbench's read path spends over a
 * client that only counts (docs/performance.md, stop 30).
 *
 * Exact by construction: an event whose bytes are the learnt head, then
 * plain ASCII (no quote, backslash or control character), then the learnt
 * tail decodes to the learnt payload with that one JSON string changed.
 * Learning proves, by parsing probes with the real parser, that the string
 * is the chunk's generated text and that the chunk has no other effect.
 * Anything else (an escape, non-ASCII text, an empty text, a finish reason,
 * usage, another layout) is decoded and parsed in full.
 */
import { utf8Slice } from "../../src/wire/sse.ts";

/** A text no server sends in a probe's place; plain, so it needs no escape. */
export const PROBE_TEXT = "vbench-template-probe";

/** Probes per stream: a first chunk shaped unlike the rest (a role delta) leaves one more. */
const LEARN_BUDGET = 2;

const encoder = new TextEncoder();

export class TextTemplate {
  private head: Uint8Array | null = null;
  private tail: Uint8Array | null = null;
  /** The learnt head and tail as text: a payload that has them needs no new probe. */
  private headText = "";
  private tailText = "";
  private budget = LEARN_BUDGET;

  /** @param key the text's property name, quoted: `"content"` or `"text"` */
  constructor(private readonly key: string) {}

  /** The text of the payload `bytes[start, end)` when it has the learnt layout; undefined: parse it. */
  read(bytes: Uint8Array, start: number, end: number): string | undefined {
    const { head, tail } = this;
    // An empty text is left to the parse: it may still carry tokens (tool calls).
    if (head === null || tail === null || end - start <= head.length + tail.length) return undefined;
    for (let i = 0; i < head.length; i++) if (bytes[start + i] !== head[i]) return undefined;
    const textEnd = end - tail.length;
    for (let i = 0; i < tail.length; i++) if (bytes[textEnd + i] !== tail[i]) return undefined;
    const textStart = start + head.length;
    for (let i = textStart; i < textEnd; i++) {
      const b = bytes[i]!;
      if (b < 0x20 || b === 0x22 || b === 0x5c || b > 0x7e) return undefined;
    }
    return utf8Slice.call(bytes, textStart, textEnd);
  }

  /**
   * Learn the layout of `payload`, just parsed to the single text `text`.
   * `onlyProbeText(candidate)` parses the candidate on a fresh parser and says
   * whether its whole effect is one token carrying PROBE_TEXT.
   */
  learn(payload: string, text: string, onlyProbeText: (candidate: string) => boolean): void {
    if (this.budget === 0 || text === PROBE_TEXT) return;
    // Same layout, parsed only for its text (non-ASCII, an escape): nothing new to learn.
    if (this.head !== null && payload.startsWith(this.headText) && payload.endsWith(this.tailText)) return;
    for (let at = payload.indexOf(this.key); at >= 0 && this.budget > 0; at = payload.indexOf(this.key, at + 1)) {
      const open = stringAfterColon(payload, at + this.key.length);
      if (open < 0) continue;
      const close = closingQuote(payload, open + 1);
      if (close < 0) return;
      const head = payload.slice(0, open + 1);
      const tail = payload.slice(close);
      this.budget--;
      if (onlyProbeText(head + PROBE_TEXT + tail)) {
        this.head = encoder.encode(head);
        this.tail = encoder.encode(tail);
        this.headText = head;
        this.tailText = tail;
        return;
      }
    }
  }
}

/** The index of the quote opening the value after `"key"` (whitespace allowed around the colon), or -1. */
function stringAfterColon(s: string, i: number): number {
  while (isSpace(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== 58 /* : */) return -1;
  i++;
  while (isSpace(s.charCodeAt(i))) i++;
  return s.charCodeAt(i) === 34 /* " */ ? i : -1;
}

/** The index of the quote closing a string whose body starts at `i`, or -1. */
function closingQuote(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34) return i;
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
