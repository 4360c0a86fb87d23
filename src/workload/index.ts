/**
 * Workloads: what is sent. The entry point is {@link buildWorkload}; the
 * dataset types live in their own files. Dataset files are read before the
 * run; each request's prompt is built when the request is needed
 * (src/engine/request-producer.ts).
 */
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { buildDataset, listWorkload, type Workload } from "./datasets.ts";
import { buildSessions, sessionsOption, type SessionWorkload } from "./sessions.ts";
import type { Tokenizer } from "./tokenizer.ts";

export { buildDataset, openSource, workloadItems, type Workload, type WorkloadData } from "./datasets.ts";
export type { ItemSource } from "./source.ts";
export { buildSessions, sessionsOption, type SessionPlan, type SessionWorkload } from "./sessions.ts";
export { checkDataset, checkDatasetType, DATASET_OPTION_KEYS, DATASET_TYPES, datasetOptionsSchemas, isDatasetType, parseDatasetOptions, syntheticOptionsSchema } from "./options.ts";
export type { CheckedDataset, DatasetType } from "./options.ts";
export { distributionSchema, type Distribution } from "./lengths.ts";
export { loadTokenizer, DEFAULT_TOKENIZER, type Tokenizer } from "./tokenizer.ts";

/** A scenario's workload, made ready before the clock starts. */
export type BuiltWorkload = Workload & { sessions?: SessionWorkload };

/**
 * The scenario's workload: `count` requests of `scenario.dataset.type`
 * (random, synthetic, sharegpt, jsonl, trace, prefix). With a `sessions`
 * option the request count is sessions × turns instead of `count`, and
 * `sessions` holds the plan with every turn built (sessions are small; a
 * turn's body depends on the answers before it anyway).
 * Throws a VbenchError (exit code "config") for an unknown type, invalid
 * options or an unusable dataset file.
 */
export async function buildWorkload(
  scenario: ResolvedScenario,
  tokenizer: Tokenizer,
  count: number,
): Promise<BuiltWorkload> {
  if (!sessionsOption(scenario)) return buildDataset(scenario, tokenizer, count);
  const sessions = await buildSessions(scenario, tokenizer);
  return { ...listWorkload(sessions.plan.flatMap((s) => s.turns), sessions.ignoreEos, sessions.notes), sessions };
}
