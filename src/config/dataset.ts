/**
 * A scenario's dataset as a typed union keyed by `dataset_type`: each member
 * carries the options its type reads (a file-based type's `dataset_path`,
 * synthetic's distributions, ...), with the workload's own option schemas
 * (src/workload/options.ts). Checked with the rest of the configuration: a
 * known `dataset_type` and the options that type needs, each named where it
 * was written. The files themselves are read by the pre-flight
 * (src/run/preflight.ts).
 */
import * as v from "valibot";
import { DATASET_KEYS, type ScenarioInput } from "./schema.ts";
import { closestMatch } from "../base/suggest.ts";
import { DATASET_TYPES, datasetOptionsSchemas, isDatasetType, type DatasetType } from "../workload/index.ts";

const s = datasetOptionsSchemas;

/** Every dataset type with its options, one member per type (spelt out: TypeScript keeps each member's own option types). */
export const datasetSchema = v.variant("dataset_type", [
  v.object({ dataset_type: v.literal("random"), ...s.random.entries }),
  v.object({ dataset_type: v.literal("synthetic"), ...s.synthetic.entries }),
  v.object({ dataset_type: v.literal("jsonl"), ...s.jsonl.entries }),
  v.object({ dataset_type: v.literal("sharegpt"), ...s.sharegpt.entries }),
  v.object({ dataset_type: v.literal("trace"), ...s.trace.entries }),
  v.object({ dataset_type: v.literal("prefix"), ...s.prefix.entries }),
]);

/** A scenario's dataset: `{dataset_type: "jsonl", dataset_path, output_len?, shuffle, ...}` and so on, by type. */
export type ScenarioDataset = v.InferOutput<typeof datasetSchema>;

const FILE_CONTENT: Record<string, string> = {
  jsonl: "a JSONL file of prompts",
  sharegpt: "a ShareGPT JSON file",
  trace: "a JSONL trace",
};

/** The dataset keys `m` sets (what the workload builder gets as `scenario.dataset`). */
export function datasetOptions(m: ScenarioInput): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of DATASET_KEYS) if (m[key] !== undefined) options[key] = m[key];
  return options;
}

/**
 * `m`'s dataset, typed, or the problems that stop it; `place(key)` says where
 * a key was set (file and JSON path, flag or variable).
 */
export function resolveDataset(m: ScenarioInput, place: (key: string) => string): { dataset: ScenarioDataset; problems: [] } | { dataset: null; problems: string[] } {
  const type = m.dataset_type!;
  if (!isDatasetType(type)) {
    const guess = closestMatch(type, DATASET_TYPES);
    return { dataset: null, problems: [`${place("dataset_type")}: unknown dataset type "${type}"${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${DATASET_TYPES.join(", ")}`] };
  }
  const result = v.safeParse(datasetSchema, { ...datasetOptions(m), dataset_type: type }, { abortEarly: false });
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
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const DATASET_UNION_COMPLETE: Same<DatasetType, ScenarioDataset["dataset_type"]> = true;
