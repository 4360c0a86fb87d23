/**
 * A scenario's dataset, checked with the rest of the configuration: a known
 * `dataset_type` and the options that type needs (a file-based type without
 * `dataset_path`, say), each named where it was written. The files
 * themselves are read by the pre-flight (src/run/preflight.ts).
 */
import * as v from "valibot";
import { DATASET_KEYS, type ScenarioInput } from "./schema.ts";
import { closestMatch } from "../base/suggest.ts";
import { DATASET_TYPES, datasetOptionsSchemas, isDatasetType } from "../workload/index.ts";

const FILE_CONTENT: Record<string, string> = {
  jsonl: "a JSONL file of prompts",
  sharegpt: "a ShareGPT JSON file",
  trace: "a JSONL trace",
};

/** Problems of `m`'s dataset; `place(key)` says where a key was set (file and JSON path, flag or variable). */
export function datasetProblems(m: ScenarioInput, place: (key: string) => string): string[] {
  const type = m.dataset_type!;
  if (!isDatasetType(type)) {
    const guess = closestMatch(type, DATASET_TYPES);
    return [`${place("dataset_type")}: unknown dataset type "${type}"${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${DATASET_TYPES.join(", ")}`];
  }
  const options: Record<string, unknown> = {};
  for (const key of DATASET_KEYS) if (m[key] !== undefined) options[key] = m[key];
  const result = v.safeParse(datasetOptionsSchemas[type], options, { abortEarly: false });
  if (result.success) return [];
  return result.issues.map((issue) => {
    const key = String((issue.path?.[0] as { key: unknown } | undefined)?.key ?? "dataset_type");
    if (issue.input === undefined) {
      const what = FILE_CONTENT[type] ? ` (${FILE_CONTENT[type]})` : "";
      const flag = key === "dataset_path" ? " or with --dataset-path" : "";
      return `${place(key)}: missing: dataset_type "${type}" needs ${key}${what}; set it in the scenario or in defaults${flag}`;
    }
    return `${place(key)}: ${issue.message} for dataset_type "${type}", found ${issue.received}`;
  });
}
