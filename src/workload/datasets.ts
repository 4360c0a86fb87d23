/**
 * One builder per dataset type, chosen by `scenario.dataset.type`; the
 * dataset's options are checked first and their defaults filled in
 * (options.ts), so each branch gets its own type's options.
 */
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { WorkloadItem } from "../base/request-types.ts";
import { jsonlSource, loadJsonl, type JsonlData } from "./jsonl.ts";
import { checkDataset, type DatasetType } from "./options.ts";
import { prefixGroupOf, prefixNotes, prefixSource, type PrefixData } from "./prefix.ts";
import { randomSource, type RandomData } from "./random.ts";
import { loadSharegpt, sharegptSource, type SharegptData } from "./sharegpt.ts";
import type { ItemSource } from "./source.ts";
import { syntheticSource, type SyntheticData } from "./synthetic.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { loadTrace, traceSource, type TraceData } from "./trace.ts";

/**
 * A workload: what request g sends, built when it is needed (see
 * buildWorkload in index.ts). Only dataset files are read in advance.
 */
export interface Workload {
  /** Requests the workload holds: as many as asked for, or fewer (a trace's records). */
  count: number;
  /**
   * Plain data (structured-cloneable) from which {@link openSource} builds the same items in any
   * thread; null when there is nothing to hand over (no requests, or multi-turn sessions, whose
   * turns are all planned here).
   */
  data: WorkloadData | null;
  /** This thread's source over `data`. */
  source: ItemSource;
  /** Ask the server to ignore EOS so it generates each item's outputTokens. */
  ignoreEos: boolean;
  /** Lines for the run log (oversampling, skipped records...). */
  notes: string[];
  /** trace: arrival offset of each item, ms after the first, already divided by time_scale. */
  offsetsMs?: Float64Array;
  /** prefix: the shared-prefix group (0-based) of request g. */
  groupOf?(g: number): number;
}

export type WorkloadData = RandomData | SyntheticData | PrefixData | JsonlData | SharegptData | TraceData;

/** A source over `data` (in the thread that loaded it, or in a producer thread given a copy). */
export function openSource(data: WorkloadData, tokenizer: Tokenizer): ItemSource {
  switch (data.type) {
    case "random":
      return randomSource(data, tokenizer);
    case "synthetic":
      return syntheticSource(data, tokenizer);
    case "prefix":
      return prefixSource(data, tokenizer);
    case "jsonl":
      return jsonlSource(data, tokenizer);
    case "sharegpt":
      return sharegptSource(data, tokenizer);
    case "trace":
      return traceSource(data, tokenizer);
  }
}

/** A workload of items already built, here only (see Workload.data). */
export function listWorkload(items: readonly WorkloadItem[], ignoreEos: boolean, notes: string[]): Workload {
  return { count: items.length, data: null, source: { item: (g) => items[g]!, lateNotes: () => [] }, ignoreEos, notes };
}

/** Items 0 to n − 1 (multi-turn sessions, which plan every turn, and tests). */
export function workloadItems(workload: Pick<Workload, "count" | "source">, n = workload.count): WorkloadItem[] {
  return Array.from({ length: Math.min(n, workload.count) }, (_, g) => workload.source.item(g));
}

/**
 * Synthetic lengths are the point of random, synthetic, prefix and trace
 * workloads, so the server must not stop at EOS; file prompts keep natural
 * endings, as vLLM's benchmark does. `extra_body: {"ignore_eos": ...}`
 * overrides either way (it is merged over the built body).
 */
const IGNORE_EOS_BY_DEFAULT: Record<DatasetType, boolean> = {
  random: true,
  synthetic: true,
  prefix: true,
  trace: true,
  jsonl: false,
  sharegpt: false,
};

/**
 * The workload of one dataset type, without multi-turn sessions: options
 * checked and dataset files read, nothing built yet.
 */
export async function buildDataset(scenario: ResolvedScenario, tokenizer: Tokenizer, count: number): Promise<Workload> {
  const dataset = checkDataset(scenario.dataset);
  const type = dataset.type;
  const notes: string[] = [];
  const seed = scenario.seed;
  const numPrompts = Math.max(0, Math.floor(count));
  const done = (data: WorkloadData, extra: Partial<Workload> = {}): Workload => ({
    count: numPrompts,
    data,
    source: openSource(data, tokenizer),
    ignoreEos: IGNORE_EOS_BY_DEFAULT[type],
    notes,
    ...extra,
  });
  const fixed = (value: number) => ({ type: "fixed" as const, value });
  // Zero requests read no file.
  if (numPrompts === 0) return { ...listWorkload([], IGNORE_EOS_BY_DEFAULT[type], notes), ...(type === "trace" ? { offsetsMs: new Float64Array(0) } : {}) };

  switch (dataset.type) {
    case "random": {
      const opts = { inputLen: scenario.randomInputLen, outputLen: scenario.randomOutputLen, rangeRatio: scenario.randomRangeRatio, prefixLen: scenario.randomPrefixLen, seed };
      return done({ type: dataset.type, ...opts });
    }
    case "synthetic": {
      return done({ type: dataset.type, input: dataset.input_distribution ?? fixed(scenario.randomInputLen), output: dataset.output_distribution ?? fixed(scenario.randomOutputLen), seed });
    }
    case "jsonl": {
      const opts = { path: dataset.dataset_path, numPrompts, outputLen: dataset.output_len ?? scenario.randomOutputLen, shuffle: dataset.shuffle, seed };
      return done(await loadJsonl(opts));
    }
    case "sharegpt": {
      return done(await loadSharegpt({ path: dataset.dataset_path, numPrompts, outputLen: dataset.output_len, seed }, tokenizer, notes));
    }
    case "trace": {
      const opts = { path: dataset.dataset_path, numPrompts, timeScale: dataset.time_scale, outputLen: dataset.output_len ?? scenario.randomOutputLen, seed };
      const { data, offsetsMs } = await loadTrace(opts, notes);
      return done(data, { count: data.records.length, offsetsMs });
    }
    case "prefix": {
      const data: PrefixData = {
        type: dataset.type,
        numPrompts,
        numGroups: dataset.num_prefix_groups,
        prefixLen: dataset.prefix_len ?? (scenario.randomPrefixLen > 0 ? scenario.randomPrefixLen : 256),
        suffixLen: dataset.suffix_len ?? scenario.randomInputLen,
        outputLen: scenario.randomOutputLen,
        rangeRatio: scenario.randomRangeRatio,
        seed,
      };
      notes.push(...prefixNotes(data));
      return done(data, { groupOf: prefixGroupOf(data) });
    }
  }
}
