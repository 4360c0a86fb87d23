/**
 * A scenario's dataset, checked with the rest of the configuration against
 * the workload's own option schemas (src/workload/options.ts): a known
 * `dataset_type` and the options that type needs, each problem named where
 * it was written. The resolved scenario then holds the dataset as a typed
 * union keyed by its type (ScenarioDataset, src/base/dataset-types.ts), with
 * the options as written. The files themselves are read by the pre-flight
 * (src/run/preflight.ts).
 */
import * as v from "valibot";
import type { Same, ScenarioDataset } from "../base/dataset-types.ts";
import { DATASET_KEYS, type ScenarioInput } from "./schema.ts";
import { closestMatch } from "../base/suggest.ts";
import { DATASET_TYPES, datasetOptionsSchemas, isDatasetType, type DatasetType } from "../workload/index.ts";

const schemas = datasetOptionsSchemas;

/** Every dataset type with its options, one member per type (spelt out: TypeScript keeps each member's own option types). */
export const datasetSchema = v.variant("dataset_type", [
  v.object({ dataset_type: v.literal("random"), ...schemas.random.entries }),
  v.object({ dataset_type: v.literal("synthetic"), ...schemas.synthetic.entries }),
  v.object({ dataset_type: v.literal("jsonl"), ...schemas.jsonl.entries }),
  v.object({ dataset_type: v.literal("sharegpt"), ...schemas.sharegpt.entries }),
  v.object({ dataset_type: v.literal("trace"), ...schemas.trace.entries }),
  v.object({ dataset_type: v.literal("prefix"), ...schemas.prefix.entries }),
]);

/** A dataset as the check sees it, defaults filled in: `{dataset_type: "jsonl", dataset_path, output_len?, shuffle, ...}` and so on, by type. */
export type CheckedConfigDataset = v.InferOutput<typeof datasetSchema>;

const FILE_CONTENT: Record<string, string> = {
  jsonl: "a JSONL file of prompts",
  sharegpt: "a ShareGPT JSON file",
  trace: "a JSONL trace",
};

/** The dataset keys `merged` sets. */
function datasetOptions(merged: ScenarioInput): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of DATASET_KEYS) if (merged[key] !== undefined) options[key] = merged[key];
  return options;
}

/**
 * The resolved scenario's dataset: the checked type and every dataset key
 * `merged` sets, as written (keys of other types included: results have
 * always stored them).
 */
export function scenarioDataset(merged: ScenarioInput, checked: CheckedConfigDataset): ScenarioDataset {
  return { type: checked.dataset_type, ...datasetOptions(merged) } as ScenarioDataset;
}

/**
 * `merged`'s dataset, typed, or the problems that stop it; `place(key)` says where
 * a key was set (file and JSON path, flag or variable).
 */
export function resolveDataset(merged: ScenarioInput, place: (key: string) => string): { dataset: CheckedConfigDataset; problems: [] } | { dataset: null; problems: string[] } {
  const type = merged.dataset_type!;
  if (!isDatasetType(type)) {
    const guess = closestMatch(type, DATASET_TYPES);
    return { dataset: null, problems: [`${place("dataset_type")}: unknown dataset type "${type}"${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${DATASET_TYPES.join(", ")}`] };
  }
  const result = v.safeParse(datasetSchema, { ...datasetOptions(merged), dataset_type: type }, { abortEarly: false });
  if (result.success) return { dataset: result.output, problems: [] };
  const problems = result.issues.map((issue) => {
    const key = String((issue.path?.[0] as { key: unknown } | undefined)?.key ?? "dataset_type");
    if (issue.input === undefined) {
      const what = FILE_CONTENT[type] ? ` (${FILE_CONTENT[type]})` : "";
      const flag = key === "dataset_path" ? " or with --dataset-path" : "";
      return `${place(key)}: missing: dataset_type "${type}" needs ${key}${what}; set it in the scenario or in defaults${flag}`;
    }
    return `${place(key)}: ${issue.message} for dataset_type "${type}", found ${issue.received}`;
  });
  return { dataset: null, problems };
}

/** The union covers exactly the workload's dataset types: a type added there and not here fails the type check. */
export const DATASET_UNION_COMPLETE: Same<DatasetType, CheckedConfigDataset["dataset_type"]> = true;
