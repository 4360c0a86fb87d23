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
import { oversample, shuffleInPlace } from "./sampling.ts";
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

export async function buildSharegptWorkload(
  opts: SharegptWorkloadOptions,
  tokenizer: Tokenizer,
  notes: string[],
): Promise<WorkloadItem[]> {
  await checkDatasetFile(opts.path, "sharegpt");
  const firstPairs: Exchange[] = [];
  let entries = 0;
  for await (const { value } of readJsonArray(opts.path)) {
    entries++;
    const exchange = exchanges(value, 1)[0];
    if (exchange) firstPairs.push(exchange);
  }
  const rng = createRng(opts.seed, "sampling");
  shuffleInPlace(rng, firstPairs);

  const kept: WorkloadItem[] = [];
  let dropped = 0;
  for (const { prompt, reply } of firstPairs) {
    if (kept.length === opts.numPrompts) break;
    const inputTokens = tokenizer.encode(prompt).length;
    const outputTokens = opts.outputLen ?? tokenizer.encode(reply).length;
    const tooShort = inputTokens < SHAREGPT_MIN_TOKENS || (opts.outputLen === undefined && outputTokens < SHAREGPT_MIN_TOKENS);
    const tooLong = inputTokens > SHAREGPT_MAX_PROMPT_TOKENS || inputTokens + outputTokens > SHAREGPT_MAX_TOTAL_TOKENS;
    if (tooShort || tooLong) {
      dropped++;
      continue;
    }
    kept.push({ prompt, inputTokens, outputTokens });
  }
  if (kept.length === 0) {
    throw new VbenchError(
      "dataset_empty",
      `The sharegpt dataset ${opts.path} has no usable conversation (${entries} entries, ${firstPairs.length} with a human turn and a reply, ${dropped} outside vLLM's length limits)`,
      { hint: "Entries need conversations: [{from: \"human\", value}, {from: \"gpt\", value}, ...]." },
    );
  }
  if (dropped > 0) notes.push(`sharegpt dataset: skipped ${dropped} conversations outside vLLM's length limits`);
  const { items, note } = oversample(rng, kept, opts.numPrompts, `sharegpt dataset ${opts.path}`);
  if (note) notes.push(note);
  return items;
}
