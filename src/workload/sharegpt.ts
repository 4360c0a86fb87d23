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
 *
 * Past the last usable conversation, request g picks a kept one at random
 * from its own generator (vLLM oversamples the same way).
 */
import { VbenchError } from "../base/errors.ts";
import { createRng } from "../base/rng.ts";
import type { WorkloadItem } from "../base/request-types.ts";
import { checkDatasetFile } from "./files.ts";
import { readJsonArray } from "./json-array.ts";
import { Oversampler, SmallestKeys } from "./sampling.ts";
import type { ItemSource } from "./source.ts";
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

/** The sharegpt dataset's data: first-turn pairs in the seeded shuffle's order, filtered as requests need them. */
export interface SharegptData {
  type: "sharegpt";
  path: string;
  pairs: Exchange[];
  /** Token counts (input, output) of pairs already known to pass the filters, two per pair; empty when none are. */
  counts: Int32Array;
  numPrompts: number;
  /** Fixed output length instead of the reply's token count. */
  outputLen?: number;
  seed: number;
}

/**
 * vLLM's filters walked over the shuffled pairs, as far as the requests
 * built so far needed: `kept` are the indices of the pairs that passed.
 */
class ConversationFilter {
  readonly kept: number[] = [];
  private readonly counts: number[] = [];
  visited = 0;
  dropped = 0;

  constructor(
    private readonly d: SharegptData,
    private readonly tokenizer: Tokenizer,
  ) {
    for (let k = 0; k < d.counts.length / 2; k++) {
      this.kept.push(k);
      this.counts.push(d.counts[2 * k]!, d.counts[2 * k + 1]!);
    }
    this.visited = this.kept.length;
  }

  get exhausted(): boolean {
    return this.visited >= this.d.pairs.length;
  }

  /** Walk on until `n` pairs are kept or none is left. */
  keep(n: number): void {
    const { d, tokenizer } = this;
    while (this.kept.length < n && !this.exhausted) {
      const { prompt, reply } = d.pairs[this.visited]!;
      const inputTokens = tokenizer.encode(prompt).length;
      const outputTokens = d.outputLen ?? tokenizer.encode(reply).length;
      const tooShort = inputTokens < SHAREGPT_MIN_TOKENS || (d.outputLen === undefined && outputTokens < SHAREGPT_MIN_TOKENS);
      const tooLong = inputTokens > SHAREGPT_MAX_PROMPT_TOKENS || inputTokens + outputTokens > SHAREGPT_MAX_TOTAL_TOKENS;
      if (tooShort || tooLong) this.dropped++;
      else {
        this.kept.push(this.visited);
        this.counts.push(inputTokens, outputTokens);
      }
      this.visited++;
    }
  }

  /** The k-th kept pair as an item. */
  item(k: number): WorkloadItem {
    return { prompt: this.d.pairs[this.kept[k]!]!.prompt, inputTokens: this.counts[2 * k]!, outputTokens: this.counts[2 * k + 1]! };
  }

  /** The kept pairs and their counts, as data that needs no filtering again. */
  keptData(): SharegptData {
    return { ...this.d, pairs: this.kept.map((k) => this.d.pairs[k]!), counts: Int32Array.from(this.counts) };
  }
}

function droppedNote(dropped: number): string {
  return `sharegpt dataset: skipped ${dropped} conversations outside vLLM's length limits`;
}

function emptyError(path: string, entries: number, withPair: number, dropped: number): VbenchError {
  return new VbenchError(
    "dataset_empty",
    `The sharegpt dataset ${path} has no usable conversation (${entries} entries, ${withPair} with a human turn and a reply, ${dropped} outside vLLM's length limits)`,
    { hint: "Entries need conversations: [{from: \"human\", value}, {from: \"gpt\", value}, ...]." },
  );
}

/**
 * The file is streamed keeping only the conversations that come first in the
 * seeded shuffle (about twice as many as requested, since the filters drop
 * some): holding every conversation's strings made the garbage collector the
 * bottleneck. When that window is smaller than the file, the filters run now
 * over it (and in the rare case they drop more than half, the file is read
 * again with a larger one); when the window holds the whole file (large or
 * time-bound runs), they run as requests are built, so only the
 * conversations a run sends are tokenized.
 */
export async function loadSharegpt(opts: SharegptWorkloadOptions, tokenizer: Tokenizer, notes: string[]): Promise<SharegptData> {
  await checkDatasetFile(opts.path, "sharegpt");
  let capacity = opts.numPrompts * 2 + 64;
  for (;;) {
    const scan = await shuffledPrefix(opts.path, opts.seed, capacity);
    const data: SharegptData = { type: "sharegpt", path: opts.path, pairs: scan.pairs, counts: new Int32Array(0), numPrompts: opts.numPrompts, outputLen: opts.outputLen, seed: opts.seed };
    const filter = new ConversationFilter(data, tokenizer);
    const sawAll = scan.withPair <= capacity;
    // An empty dataset is found now, before anything is sent.
    filter.keep(sawAll ? 1 : opts.numPrompts);
    if (sawAll && filter.kept.length === 0) throw emptyError(opts.path, scan.entries, scan.withPair, filter.dropped);
    if (sawAll) return data;
    if (filter.kept.length < opts.numPrompts) {
      capacity *= 4;
      continue;
    }
    if (filter.dropped > 0) notes.push(droppedNote(filter.dropped));
    return filter.keptData();
  }
}

/** Request g: the g-th conversation that passes the filters, or past the last one a kept one picked at random. */
export function sharegptSource(data: SharegptData, tokenizer: Tokenizer): ItemSource {
  const filter = new ConversationFilter(data, tokenizer);
  const sampler = new Oversampler(data.seed, `sharegpt dataset ${data.path}`);
  return {
    item(g) {
      filter.keep(g + 1);
      // loadSharegpt made sure at least one conversation passes.
      return filter.item(sampler.pick(g, filter.kept.length));
    },
    lateNotes: () => [...(filter.dropped > 0 ? [droppedNote(filter.dropped)] : []), ...sampler.notes(filter.kept.length)],
  };
}
