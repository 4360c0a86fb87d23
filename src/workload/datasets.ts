/**
 * One builder per dataset type, chosen by `scenario.datasetType`; options
 * come from `scenario.dataset` and are validated first (options.ts).
 */
import { VbenchError } from "../core/errors.ts";
import type { ResolvedScenario, WorkloadItem } from "../core/types.ts";
import { buildJsonlWorkload } from "./jsonl.ts";
import {
  DATASET_TYPES,
  parseDatasetOptions,
  type DatasetType,
  type JsonlOptions,
  type PrefixOptions,
  type SharegptOptions,
  type SyntheticOptions,
  type TraceOptions,
} from "./options.ts";
import { buildPrefixWorkload } from "./prefix.ts";
import { buildRandomWorkload } from "./random.ts";
import { buildSharegptWorkload } from "./sharegpt.ts";
import { buildSyntheticWorkload } from "./synthetic.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { buildTraceWorkload } from "./trace.ts";

/** Built before the clock starts; see buildWorkload in index.ts. */
export interface Workload {
  items: WorkloadItem[];
  /** Ask the server to ignore EOS so it generates each item's outputTokens. */
  ignoreEos: boolean;
  /** Lines for the run log (oversampling, prompt reuse, skipped records...). */
  notes: string[];
  /** trace: arrival offset of each item, ms after the first, already divided by time_scale. */
  offsetsMs?: Float64Array;
  /** prefix: the shared-prefix group (0-based) of each item. */
  groups?: Int32Array;
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

export function isDatasetType(type: string): type is DatasetType {
  return (DATASET_TYPES as string[]).includes(type);
}

export function checkDatasetType(type: string): DatasetType {
  if (isDatasetType(type)) return type;
  throw new VbenchError("dataset_unknown", `Unknown dataset_type "${type}"`, {
    hint: `Known dataset types: ${DATASET_TYPES.join(", ")}.`,
  });
}

/** The workload of one dataset type, without multi-turn sessions. */
export async function buildDataset(scenario: ResolvedScenario, tokenizer: Tokenizer, count: number): Promise<Workload> {
  const type = checkDatasetType(scenario.datasetType);
  const options: unknown = parseDatasetOptions(type, scenario.dataset ?? {});
  const notes: string[] = [];
  const seed = scenario.seed;
  const numPrompts = Math.max(0, Math.floor(count));
  const done = (items: WorkloadItem[], extra: Partial<Workload> = {}): Workload => ({
    items,
    ignoreEos: IGNORE_EOS_BY_DEFAULT[type],
    notes,
    ...extra,
  });
  if (numPrompts === 0) return done([], type === "trace" ? { offsetsMs: new Float64Array(0) } : {});

  switch (type) {
    case "random": {
      const opts = {
        numPrompts,
        inputLen: scenario.randomInputLen,
        outputLen: scenario.randomOutputLen,
        rangeRatio: scenario.randomRangeRatio,
        prefixLen: scenario.randomPrefixLen,
        seed,
      };
      return done(buildRandomWorkload(opts, tokenizer, notes));
    }
    case "synthetic": {
      const o = options as SyntheticOptions;
      const input = o.input_distribution ?? { type: "fixed" as const, value: scenario.randomInputLen };
      const output = o.output_distribution ?? { type: "fixed" as const, value: scenario.randomOutputLen };
      return done(buildSyntheticWorkload({ numPrompts, input, output, seed }, tokenizer, notes));
    }
    case "jsonl": {
      const o = options as JsonlOptions;
      const opts = { path: o.dataset_path, numPrompts, outputLen: o.output_len ?? scenario.randomOutputLen, shuffle: o.shuffle, seed };
      return done(await buildJsonlWorkload(opts, tokenizer, notes));
    }
    case "sharegpt": {
      const o = options as SharegptOptions;
      return done(await buildSharegptWorkload({ path: o.dataset_path, numPrompts, outputLen: o.output_len, seed }, tokenizer, notes));
    }
    case "trace": {
      const o = options as TraceOptions;
      const opts = { path: o.dataset_path, numPrompts, timeScale: o.time_scale, outputLen: o.output_len ?? scenario.randomOutputLen, seed };
      const { items, offsetsMs } = await buildTraceWorkload(opts, tokenizer, notes);
      return done(items, { offsetsMs });
    }
    case "prefix": {
      const o = options as PrefixOptions;
      const opts = {
        numPrompts,
        numGroups: o.num_prefix_groups,
        prefixLen: o.prefix_len ?? (scenario.randomPrefixLen > 0 ? scenario.randomPrefixLen : 256),
        suffixLen: o.suffix_len ?? scenario.randomInputLen,
        outputLen: scenario.randomOutputLen,
        rangeRatio: scenario.randomRangeRatio,
        seed,
      };
      const { items, groups } = buildPrefixWorkload(opts, tokenizer, notes);
      return done(items, { groups });
    }
  }
}
