/**
 * The simulator's generated text: common English words, each " word" one
 * GPT-2 token, so the GPT-2 tokenizer counts exactly one token per generated
 * token (the words start with a space, so BPE never merges across them).
 * The seed permutes the list; token i of every request is word[i % 64] of that
 * permutation, so the text depends only on the seed and the length.
 */
import { createRng } from "../base/rng.ts";

const WORDS = [
  "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
  "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their",
  "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
  "time", "people", "new", "first", "other", "some", "what", "about", "out", "up", "into", "only", "than", "also", "its", "two",
];

/** GPT-2 (r50k_base) id of " " + WORDS[i]; checked against the tokenizer in test/mock/text.test.ts. */
const WORD_IDS = [
  262, 286, 290, 284, 287, 318, 326, 329, 340, 355, 373, 351, 307, 416, 319, 407,
  339, 428, 389, 393, 465, 422, 379, 543, 475, 423, 281, 550, 484, 345, 547, 511,
  530, 477, 356, 460, 607, 468, 612, 587, 611, 517, 618, 481, 561, 508, 523, 645,
  640, 661, 649, 717, 584, 617, 644, 546, 503, 510, 656, 691, 621, 635, 663, 734,
];

export const WORD_COUNT = WORDS.length;

export interface TokenText {
  /** Text of token i (with its leading space). */
  word(i: number): string;
  /** GPT-2 id of token i. */
  id(i: number): number;
  /** Text of tokens [from, to). */
  range(from: number, to: number): string;
  /** The same as a JSON string literal (the words need no escaping, so this skips JSON.stringify). */
  quoted(from: number, to: number): string;
}

export function createTokenText(seed: number): TokenText {
  const rng = createRng(seed, "mock-text");
  const order = WORDS.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const words = order.map((i) => " " + WORDS[i]);
  const ids = order.map((i) => WORD_IDS[i]);
  // One full cycle of the text, so a range is mostly a slice instead of a join.
  const cycle = words.join("");
  const starts: number[] = [];
  let pos = 0;
  for (const w of words) {
    starts.push(pos);
    pos += w.length;
  }
  starts.push(pos);
  const range = (from: number, to: number): string => {
    let out = "";
    while (from < to) {
      const a = from % WORD_COUNT;
      const b = Math.min(WORD_COUNT, a + (to - from));
      out += cycle.slice(starts[a], starts[b]);
      from += b - a;
    }
    return out;
  };
  const quotedWords = words.map((w) => JSON.stringify(w));
  const quoted = (from: number, to: number): string =>
    to === from + 1 ? quotedWords[from % WORD_COUNT] : '"' + range(from, to) + '"';
  return { word: (i) => words[i % WORD_COUNT], id: (i) => ids[i % WORD_COUNT], range, quoted };
}

/** The raw words (for tests). */
export const MOCK_WORDS: readonly string[] = WORDS;
export const MOCK_WORD_IDS: readonly number[] = WORD_IDS;
