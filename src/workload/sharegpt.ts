/**
 * ShareGPT dataset: a JSON array of `{id, conversations: [{from, value}]}`.
 * The first human turn is the prompt; the reply after it gives the output
 * length (its token count) unless `output_len` fixes it.
 *
 * Sampling follows vLLM's benchmark: shuffle every conversation with the
 * seed, then walk the shuffled list keeping requests that pass vLLM's filters
 * until enough are kept:
 *   - prompt < 4 tokens, or reply < 4 tokens (only when output_len is not fixed): too short, dropped;
 *   - prompt > 1024 tokens, or prompt + output > 2048 tokens: too long, dropped.
 * Only the first human turn and its reply are kept in memory while the file
 * is streamed, and only the conversations visited are tokenized.
 */
import { VbenchError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import type { WorkloadItem } from "../core/types.ts";
import { checkDatasetFile } from "./files.ts";
import { readJsonArray } from "./json-array.ts";
import { SmallestKeys, oversample } from "./sampling.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface SharegptWorkloadOptions {
  path: string;
  numPrompts: number;
  /** Fixed output length instead of the reply's token count. */
  outputLen?: number;
  seed: number;
}

/** vLLM's limits (benchmark_dataset.py is_valid_sequence). */
export const SHAREGPT_MIN_TOKENS = 4;
export const SHAREGPT_MAX_PROMPT_TOKENS = 1024;
export const SHAREGPT_MAX_TOTAL_TOKENS = 2048;

const HUMAN = new Set(["human", "user"]);

export interface Exchange {
  prompt: string;
  reply: string;
}

/** Up to `max` (human turn, the reply after it) pairs of a ShareGPT entry, in order. */
export function exchanges(entry: unknown, max: number): Exchange[] {
  const turns = (entry as { conversations?: unknown } | null)?.conversations;
  const out: Exchange[] = [];
  if (!Array.isArray(turns)) return out;
  for (let t = 0; t + 1 < turns.length && out.length < max; t++) {
    const turn = turns[t] as { from?: unknown; value?: unknown } | null;
    const next = turns[t + 1] as { value?: unknown } | null;
    if (!HUMAN.has(turn?.from as string) || typeof turn?.value !== "string" || typeof next?.value !== "string") continue;
    out.push({ prompt: turn.value, reply: next.value });
    t++; // the reply is not a turn of its own
  }
  return out;
}

/** One streamed pass: the `capacity` first-turn pairs that come first in the seeded shuffle. */
async function shuffledPrefix(path: string, seed: number, capacity: number): Promise<{ pairs: Exchange[]; entries: number; withPair: number }> {
  // Same seed → same key for each conversation on every pass, so a larger pass extends a smaller one.
  const rng = createRng(seed, "sampling");
  const smallest = new SmallestKeys<Exchange>(capacity);
  let entries = 0;
  for await (const { value } of readJsonArray(path)) {
    entries++;
    const pair = exchanges(value, 1)[0];
    if (pair) smallest.offer(rng.next(), pair);
  }
  return { pairs: smallest.sorted(), entries, withPair: smallest.offered };
}

/**
 * The file is streamed keeping only the conversations that come first in the
 * seeded shuffle (about twice as many as requested, since the filters drop
 * some): holding every conversation's strings made the garbage collector the
 * bottleneck. In the rare case the filters drop more than that, the file is
 * read again with a larger window.
 */
export async function buildSharegptWorkload(
  opts: SharegptWorkloadOptions,
  tokenizer: Tokenizer,
  notes: string[],
): Promise<WorkloadItem[]> {
  await checkDatasetFile(opts.path, "sharegpt");
  let capacity = opts.numPrompts * 2 + 64;
  for (;;) {
    const scan = await shuffledPrefix(opts.path, opts.seed, capacity);
    const kept: WorkloadItem[] = [];
    let dropped = 0;
    for (const { prompt, reply } of scan.pairs) {
      if (kept.length === opts.numPrompts) break;
      const inputTokens = tokenizer.encode(prompt).length;
      const outputTokens = opts.outputLen ?? tokenizer.encode(reply).length;
      const tooShort = inputTokens < SHAREGPT_MIN_TOKENS || (opts.outputLen === undefined && outputTokens < SHAREGPT_MIN_TOKENS);
      const tooLong = inputTokens > SHAREGPT_MAX_PROMPT_TOKENS || inputTokens + outputTokens > SHAREGPT_MAX_TOTAL_TOKENS;
      if (tooShort || tooLong) dropped++;
      else kept.push({ prompt, inputTokens, outputTokens });
    }
    const sawAll = scan.withPair <= capacity;
    if (kept.length < opts.numPrompts && !sawAll) {
      capacity *= 4;
      continue;
    }
    if (kept.length === 0) {
      throw new VbenchError(
        "dataset_empty",
        `The sharegpt dataset ${opts.path} has no usable conversation (${scan.entries} entries, ${scan.withPair} with a human turn and a reply, ${dropped} outside vLLM's length limits)`,
        { hint: "Entries need conversations: [{from: \"human\", value}, {from: \"gpt\", value}, ...]." },
      );
    }
    if (dropped > 0) notes.push(`sharegpt dataset: skipped ${dropped} conversations outside vLLM's length limits`);
    const { items, note } = oversample(createRng(opts.seed, "oversampling"), kept, opts.numPrompts, `sharegpt dataset ${opts.path}`);
    if (note) notes.push(note);
    return items;
  }
}
