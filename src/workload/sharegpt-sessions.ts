/**
 * Multi-turn sessions from ShareGPT: each session replays one conversation's
 * human turns in order (at most `turns` of them), each with the token length
 * of the reply that followed it as its output length. Conversations are
 * picked by the seeded shuffle; sessions have fewer turns when their
 * conversation had fewer.
 */
import { VbenchError } from "../base/errors.ts";
import { createRng } from "../base/rng.ts";
import type { WorkloadItem } from "../base/request-types.ts";
import { checkDatasetFile } from "./files.ts";
import { readJsonArray } from "./json-array.ts";
import { SmallestKeys, oversample } from "./sampling.ts";
import { exchanges, type Exchange } from "./sharegpt.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Conversations, each a list of turns sent one after another on one session. */
export type SessionPlan = { turns: WorkloadItem[] }[];

export interface SharegptSessionOptions {
  path: string;
  sessions: number;
  turns: number;
  /** Fixed output length instead of each reply's token count. */
  outputLen?: number;
  seed: number;
}

export async function buildSharegptSessions(opts: SharegptSessionOptions, tokenizer: Tokenizer, notes: string[]): Promise<SessionPlan> {
  await checkDatasetFile(opts.path, "sharegpt");
  // Streamed seeded shuffle keeping only the conversations picked (see sharegpt.ts).
  const rng = createRng(opts.seed, "sampling");
  const smallest = new SmallestKeys<Exchange[]>(opts.sessions);
  for await (const { value } of readJsonArray(opts.path)) {
    const pairs = exchanges(value, opts.turns);
    if (pairs.length > 0) smallest.offer(rng.next(), pairs);
  }
  if (smallest.offered === 0) {
    throw new VbenchError("dataset_empty", `The sharegpt dataset ${opts.path} has no conversation with a human turn and a reply`, {
      hint: "Entries need conversations: [{from: \"human\", value}, {from: \"gpt\", value}, ...].",
    });
  }
  const picked = smallest.sorted();
  const { items, note } = oversample(rng, picked, opts.sessions, `sharegpt dataset ${opts.path}`);
  if (note) notes.push(note.replace("usable prompts", "usable conversations"));
  const shortSessions = items.filter((c) => c.length < opts.turns).length;
  if (shortSessions > 0) notes.push(`sharegpt sessions: ${shortSessions} of ${items.length} conversations have fewer than ${opts.turns} turns`);
  const counted = new Map<string, number>();
  const count = (text: string): number => {
    let n = counted.get(text);
    if (n === undefined) counted.set(text, (n = tokenizer.encode(text).length));
    return n;
  };
  return items.map((pairs) => ({
    turns: pairs.map(
      ({ prompt, reply }): WorkloadItem => ({
        prompt,
        inputTokens: count(prompt),
        outputTokens: opts.outputLen ?? Math.max(1, count(reply)),
      }),
    ),
  }));
}
