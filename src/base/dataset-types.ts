/**
 * A scenario's dataset as plain types: a union keyed by `type` (the
 * scenario's `dataset_type`), each member carrying the options its type
 * reads, as written in the scenario (no defaults filled in). The workload
 * checks them with its valibot schemas (src/workload/options.ts), which are
 * asserted at compile time to accept exactly these types, and fills in the
 * defaults.
 */

/** A token-length distribution (synthetic dataset); `mean` and `stdev` describe the lengths themselves. */
export type Distribution =
  | { type: "fixed"; value: number }
  | { type: "uniform"; min: number; max: number }
  | { type: "normal"; mean: number; stdev: number; min?: number; max?: number }
  | { type: "lognormal"; mean: number; stdev: number; min?: number; max?: number };

/** Multi-turn chat sessions: keys every dataset type accepts. */
export interface SessionOptions {
  /** Number of sessions (needs `turns`). */
  sessions?: number;
  /** User turns per session (needs `sessions`). */
  turns?: number;
  /** Pause between an answer and the session's next turn. */
  think_time_ms?: number;
}

/** The options of each dataset type, as written. */
export interface DatasetOptionsByType {
  random: SessionOptions;
  synthetic: SessionOptions & { input_distribution?: Distribution; output_distribution?: Distribution };
  jsonl: SessionOptions & { dataset_path: string; output_len?: number; shuffle?: boolean };
  sharegpt: SessionOptions & { dataset_path: string; output_len?: number };
  trace: SessionOptions & { dataset_path: string; time_scale?: number; output_len?: number };
  prefix: SessionOptions & { num_prefix_groups?: number; prefix_len?: number; suffix_len?: number };
}

export type DatasetType = keyof DatasetOptionsByType;

/** True when A and B are the same type: for compile-time checks that a valibot schema and its plain type agree. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * A resolved scenario's dataset: `{type: "jsonl", dataset_path, ...}` and so
 * on, one member per type. At run time the object may also carry dataset keys
 * of other types (a `defaults` block shared by scenarios of several types);
 * the workload ignores them.
 */
export type ScenarioDataset = { [T in DatasetType]: { type: T } & DatasetOptionsByType[T] }[DatasetType];

/**
 * The two keys results have always stored, `datasetType` and `dataset` (the
 * options without the type), in place of `dataset`: what result files,
 * `validate` and the shard config hash see.
 */
export function withFlatDataset<S extends { dataset: ScenarioDataset }>(scenario: S): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(scenario)) {
    if (key !== "dataset") {
      out[key] = value;
      continue;
    }
    const { type, ...options } = scenario.dataset;
    out.datasetType = type;
    out.dataset = options;
  }
  return out;
}

/** The dataset back from the stored form of {@link withFlatDataset}. */
export function datasetFromFlat(json: Record<string, unknown>): ScenarioDataset {
  return { type: json.datasetType, ...(json.dataset as object) } as ScenarioDataset;
}
