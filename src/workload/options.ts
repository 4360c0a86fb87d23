/**
 * Dataset options: the dataset-specific keys of a scenario
 * (`ResolvedScenario.dataset`, typed in src/base/dataset-types.ts), validated
 * with valibot, defaults filled in. Unknown keys pass (and are dropped)
 * because one `defaults` block may carry keys for several dataset types; the
 * config loader checks key spelling against DATASET_OPTION_KEYS.
 */
import * as v from "valibot";
import type { DatasetOptionsByType, DatasetType, Same, ScenarioDataset } from "../base/dataset-types.ts";
import { VbenchError } from "../base/errors.ts";
import { distributionSchema } from "./lengths.ts";

const tokens = v.pipe(v.number(), v.integer(), v.minValue(1));
const path = v.pipe(v.string(), v.minLength(1, "a non-empty file path"));

/**
 * Keys every dataset type accepts: multi-turn sessions, flat as in the
 * scenario file (`"sessions": 8, "turns": 4, "think_time_ms": 1000`). To
 * change whether the server ignores EOS, set `ignore_eos` in `extra_body`
 * (merged over the built body last).
 */
const common = {
  /** Number of multi-turn chat sessions (needs `turns`). */
  sessions: v.optional(tokens),
  /** User turns per session (needs `sessions`). */
  turns: v.optional(tokens),
  /** Pause between an answer and the session's next turn. */
  think_time_ms: v.optional(v.pipe(v.number(), v.minValue(0))),
};

export const randomOptionsSchema = v.object({ ...common });

export const syntheticOptionsSchema = v.object({
  ...common,
  /** Default: fixed at the scenario's random_input_len. */
  input_distribution: v.optional(distributionSchema),
  /** Default: fixed at the scenario's random_output_len. */
  output_distribution: v.optional(distributionSchema),
});

export const jsonlOptionsSchema = v.object({
  ...common,
  dataset_path: path,
  /** Output length for lines without their own `output_len` (default: random_output_len). */
  output_len: v.optional(tokens),
  /** false: take lines in file order instead of a seeded sample. */
  shuffle: v.optional(v.boolean(), true),
});

export const sharegptOptionsSchema = v.object({
  ...common,
  dataset_path: path,
  /** Fixed output length instead of the reply's token length (vLLM's --sharegpt-output-len). */
  output_len: v.optional(tokens),
});

export const traceOptionsSchema = v.object({
  ...common,
  dataset_path: path,
  /** Offsets are divided by this: 2 replays the trace twice as fast. */
  time_scale: v.optional(v.pipe(v.number(), v.gtValue(0)), 1),
  /** Output length for records without `output_len` (default: random_output_len). */
  output_len: v.optional(tokens),
});

export const prefixOptionsSchema = v.object({
  ...common,
  num_prefix_groups: v.optional(tokens, 1),
  /** Tokens of each group's shared prefix (default: the scenario's random_prefix_len, else 256). */
  prefix_len: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** Mean tokens of each request's own suffix (default: random_input_len), ± random_range_ratio. */
  suffix_len: v.optional(tokens),
});

/** Option schema of each dataset type. */
export const datasetOptionsSchemas = {
  random: randomOptionsSchema,
  synthetic: syntheticOptionsSchema,
  jsonl: jsonlOptionsSchema,
  sharegpt: sharegptOptionsSchema,
  trace: traceOptionsSchema,
  prefix: prefixOptionsSchema,
} as const satisfies Record<DatasetType, v.GenericSchema>;

export type { DatasetType };
export const DATASET_TYPES = Object.keys(datasetOptionsSchemas) as DatasetType[];

/** Each schema accepts exactly its type's options of src/base/dataset-types.ts: a change on one side alone fails the type check. */
type SchemasMatchBaseTypes = { [T in DatasetType]: Same<v.InferInput<(typeof datasetOptionsSchemas)[T]>, DatasetOptionsByType[T]> };
export const DATASET_SCHEMAS_MATCH_BASE_TYPES: SchemasMatchBaseTypes = { random: true, synthetic: true, jsonl: true, sharegpt: true, trace: true, prefix: true };

/** Every dataset option key of any type (for "did you mean" suggestions). */
export const DATASET_OPTION_KEYS: readonly string[] = [
  ...new Set(Object.values(datasetOptionsSchemas).flatMap((s) => Object.keys(s.entries))),
].sort();

/** A dataset's options checked, defaults filled in (`shuffle`, `time_scale`, `num_prefix_groups`): one member per type. */
export type CheckedDataset = { [T in DatasetType]: { type: T } & v.InferOutput<(typeof datasetOptionsSchemas)[T]> }[DatasetType];

/** Validate `options` for `type`; every problem is listed in the error's details. */
export function parseDatasetOptions<T extends DatasetType>(
  type: T,
  options: Readonly<Record<string, unknown>>,
): v.InferOutput<(typeof datasetOptionsSchemas)[T]> {
  const result = v.safeParse(datasetOptionsSchemas[type], options);
  if (result.success) return result.output as v.InferOutput<(typeof datasetOptionsSchemas)[T]>;
  const details = result.issues.map((issue) => {
    const at = v.getDotPath(issue);
    return at ? `${at}: ${issue.message}` : issue.message;
  });
  throw new VbenchError("dataset_invalid", `Invalid options for the ${type} dataset: ${details.join("; ")}`, {
    details,
    hint: "The example scenario files configs/workload-*.json show each dataset's options.",
  });
}

export function isDatasetType(type: string): type is DatasetType {
  return (DATASET_TYPES as string[]).includes(type);
}

export function checkDatasetType(type: string): DatasetType {
  if (isDatasetType(type)) return type;
  throw new VbenchError("dataset_unknown", `Unknown dataset_type "${type}"`, {
    hint: `Known dataset types: ${DATASET_TYPES.join(", ")}.`,
  });
}

/** `dataset` checked for its type (a known one), defaults filled in; throws a VbenchError naming every problem. */
export function checkDataset(dataset: Readonly<ScenarioDataset>): CheckedDataset {
  const { type, ...options } = dataset;
  const known = checkDatasetType(type);
  return { type: known, ...parseDatasetOptions(known, options) } as CheckedDataset;
}
