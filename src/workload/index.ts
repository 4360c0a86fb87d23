/**
 * Workloads: what is sent, built before the clock starts. The entry point is
 * {@link buildWorkload}; the dataset types live in their own files.
 */
import type { ResolvedScenario } from "../core/types.ts";
import { buildDataset, type Workload } from "./datasets.ts";
import { buildSessions, sessionsOption, type SessionWorkload } from "./sessions.ts";
import type { Tokenizer } from "./tokenizer.ts";

export { buildDataset, checkDatasetType, isDatasetType, type Workload } from "./datasets.ts";
export { buildSessions, sessionsOption, type SessionPlan, type SessionWorkload } from "./sessions.ts";
export { DATASET_OPTION_KEYS, DATASET_TYPES, datasetOptionsSchemas, parseDatasetOptions, syntheticOptionsSchema } from "./options.ts";
export type { DatasetType } from "./options.ts";
export { distributionSchema, type Distribution } from "./lengths.ts";
export { loadTokenizer, DEFAULT_TOKENIZER, type Tokenizer } from "./tokenizer.ts";

/**
 * The scenario's workload: `count` requests of `scenario.datasetType`
 * (random, synthetic, sharegpt, jsonl, trace, prefix). With a `sessions`
 * option the request count is sessions × turns instead of `count`; `items`
 * then lists every turn session by session and `sessions` holds the plan.
 * Throws a VbenchError (exit code "config") for an unknown type, invalid
 * options or an unusable dataset file.
 */
export async function buildWorkload(
  scenario: ResolvedScenario,
  tokenizer: Tokenizer,
  count: number,
): Promise<Workload & { sessions?: SessionWorkload }> {
  if (!sessionsOption(scenario)) return buildDataset(scenario, tokenizer, count);
  const sessions = await buildSessions(scenario, tokenizer);
  return {
    items: sessions.plan.flatMap((s) => s.turns),
    ignoreEos: sessions.ignoreEos,
    notes: sessions.notes,
    sessions,
  };
}
