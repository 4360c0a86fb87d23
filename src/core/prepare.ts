/**
 * Turn workload items into ready-to-send bytes before the clock starts: the
 * backend builds the body, the core serialises it once with every header.
 * Only the request id is spliced in at dispatch (src/core/request.ts).
 */
import type { BackendPlugin, ResolvedScenario, WorkloadItem } from "./types.ts";
import { parseOrigin, type Origin } from "./http.ts";
import type { PreparedRequest } from "./request.ts";
import type { PlannedRun } from "./config.ts";
import type { PreparedScenario } from "./execute.ts";
import type { Logger } from "./log.ts";
import { VbenchError, errorMessage } from "./errors.ts";
import { buildWorkload, workloadItems } from "../workload/index.ts";
import type { Tokenizer } from "../workload/tokenizer.ts";

const encoder = new TextEncoder();

/** Headers every request carries: JSON, the bearer token, the scenario's and the backend's own. */
export function requestHeaders(scenario: ResolvedScenario, backend: BackendPlugin, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": "vbench" };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  Object.assign(headers, backend.headers?.() ?? {}, scenario.headers);
  return headers;
}

export function prepareRequest(
  origin: Origin,
  scenario: ResolvedScenario,
  backend: BackendPlugin,
  headers: Record<string, string>,
  item: WorkloadItem,
  ignoreEos: boolean,
): PreparedRequest {
  const body = JSON.stringify(
    backend.buildBody({ item, model: scenario.servedModel, ignoreEos, sampling: scenario.sampling, extraBody: scenario.extraBody }),
  );
  const bodyBytes = encoder.encode(body);
  let head = `POST ${scenario.endpointPath} HTTP/1.1\r\nHost: ${origin.authority}\r\nConnection: keep-alive\r\nAccept: */*\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name + value)) continue; // never let a header value split the request
    head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${bodyBytes.byteLength}\r\nx-request-id: `;
  const tailHead = encoder.encode("\r\n\r\n");
  const tail = new Uint8Array(tailHead.byteLength + bodyBytes.byteLength);
  tail.set(tailHead, 0);
  tail.set(bodyBytes, tailHead.byteLength);
  return { head: encoder.encode(head), tail, inputTokens: item.inputTokens, requestedOutputTokens: item.outputTokens };
}

/** Build a scenario's workload and request bytes: everything that must happen before the clock starts. */
export async function prepareScenario(run: PlannedRun, backend: BackendPlugin, tokenizer: Tokenizer, apiKey: string | undefined, log: Logger): Promise<PreparedScenario> {
  const scenario: ResolvedScenario = run.scenario;
  const count = plannedCount(scenario);
  const poolSize = Math.min(count, POOL_LIMIT);
  let workload;
  try {
    workload = await buildWorkload(scenario, tokenizer, poolSize);
  } catch (error) {
    if (error instanceof VbenchError) throw error;
    throw new VbenchError("workload_failed", `cannot build the ${scenario.datasetType} workload of scenario ${scenario.name}: ${errorMessage(error)}`, { cause: error });
  }
  const origin = parseOrigin(scenario.baseUrl);
  const headers = requestHeaders(scenario, backend, apiKey);
  const pool = workloadItems(workload, poolSize).map((item) => prepareRequest(origin, scenario, backend, headers, item, workload.ignoreEos));
  const notes = [...workload.notes];
  if (count > POOL_LIMIT) notes.push(`${count} requests reuse ${POOL_LIMIT} distinct prompts cyclically`);
  log.debug(`prepared ${pool.length} request bodies for ${scenario.name}`);
  if (workload.sessions) notes.push(`${workload.sessions.plan.length} sessions, turns sent after each answer (think time ${workload.sessions.thinkTimeMs} ms); the request rate applies to session starts`);
  return { run, backend, origin, pool, count, tokenizer, notes, offsetsMs: workload.offsetsMs, sessions: workload.sessions, groups: workload.groupOf ? Int32Array.from({ length: pool.length }, (_, g) => workload.groupOf!(g)) : undefined, headers, ignoreEos: workload.ignoreEos };
}

/** Distinct prompts prepared at most; longer runs reuse them cyclically (memory stays bounded). */
export const POOL_LIMIT = 50_000;
/** A time-bound closed-loop run (infinite rate) schedules this many slots at most. */
export const TIME_BOUND_SLOTS = 2_000_000;

export function plannedCount(s: ResolvedScenario): number {
  if (s.durationS === null) return s.numPrompts;
  if (Number.isFinite(s.requestRate) && !s.rampUp) return Math.max(1, Math.round(s.requestRate * s.durationS));
  // A timed ramp never exceeds its higher end rate: enough prompts for that.
  if (s.rampUp) return Math.max(1, Math.ceil(Math.max(s.rampUp.startRps, s.rampUp.endRps) * s.durationS));
  return TIME_BOUND_SLOTS;
}
