/**
 * What a scenario sends, made ready before the clock starts: the workload's
 * options checked and its dataset file read, the headers and the origin.
 * No request is built here: request g is built when it is about to be
 * needed, by the request producer's thread (./producer-thread.ts), so memory
 * does not grow with num_prompts and a time-bound run builds only what it
 * sends.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { parseOrigin, type Origin } from "./http.ts";
import type { PreparedRequest } from "./request.ts";
import type { Workload } from "../workload/datasets.ts";
import type { SessionWorkload } from "../workload/sessions.ts";
import type { PlannedRun } from "../config/config.ts";
import { VbenchError, errorMessage } from "../base/errors.ts";
import { plannedCount } from "../config/planned-count.ts";
import { prepareRequest, requestHeaders } from "./prepare-request.ts";
import { buildWorkload } from "../workload/index.ts";
import type { BuiltWorkload } from "../workload/index.ts";
import type { Tokenizer } from "../workload/tokenizer.ts";

export { prepareRequest, requestHeaders } from "./prepare-request.ts";

export interface PreparedScenario {
  run: PlannedRun;
  backend: BackendPlugin;
  origin: Origin;
  /** What is sent (its dataset read, no request built yet; a trace's arrival offsets, a prefix dataset's groups). */
  workload: Workload;
  /** Global request g's bytes, built in this thread (the initial test request, warmups, or where no producer thread runs). */
  requestAt(g: number): PreparedRequest;
  /** Requests to schedule (a time-bound run may stop earlier). */
  count: number;
  tokenizer: Tokenizer;
  notes: string[];
  /** Multi-turn sessions: turns are built as answers arrive (src/engine/sessions.ts). */
  sessions?: SessionWorkload;
  headers: Record<string, string>;
  ignoreEos: boolean;
}

/**
 * Check and load a scenario's workload: everything that must happen before the clock starts.
 * `built`: the workload `vbench run`'s pre-flight already built for this run (its dataset file read once).
 */
export async function prepareScenario(run: PlannedRun, backend: BackendPlugin, tokenizer: Tokenizer, apiKey: string | undefined, built?: BuiltWorkload): Promise<PreparedScenario> {
  const scenario: ResolvedScenario = run.scenario;
  const count = plannedCount(scenario);
  let workload = built;
  try {
    workload ??= await buildWorkload(scenario, tokenizer, count);
  } catch (error) {
    if (error instanceof VbenchError) throw error;
    throw new VbenchError("workload_failed", `cannot build the ${scenario.dataset.type} workload of scenario ${scenario.name}: ${errorMessage(error)}`, { cause: error });
  }
  const origin = parseOrigin(scenario.baseUrl);
  const headers = requestHeaders(scenario, backend, apiKey);
  const notes = [...workload.notes];
  if (workload.sessions) notes.push(`${workload.sessions.plan.length} sessions, turns sent after each answer (think time ${workload.sessions.thinkTimeMs} ms); the request rate applies to session starts`);
  const source = workload.source;
  const requestAt = (g: number) => prepareRequest(origin, scenario, backend, headers, source.item(g), workload.ignoreEos);
  return { run, backend, origin, workload, requestAt, count: Math.min(count, workload.count), tokenizer, notes, sessions: workload.sessions, headers, ignoreEos: workload.ignoreEos };
}
