/**
 * How many requests a scenario schedules: num_prompts, or for a run bound by
 * duration, enough for its rate over that time. Config validation, the
 * pre-flight and the engine all ask this one function.
 */
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { MAX_REQUESTS } from "./schema.ts";

/**
 * A time-bound run at rate inf schedules as many slots as a run may hold: a slot costs nothing
 * until its request is about to be sent, so the duration alone ends the run.
 */
export const TIME_BOUND_SLOTS = MAX_REQUESTS;

export function plannedCount(s: ResolvedScenario): number {
  if (s.durationS === null) return s.numPrompts;
  if (Number.isFinite(s.requestRate) && !s.rampUp) return Math.max(1, Math.round(s.requestRate * s.durationS));
  // A timed ramp never exceeds its higher end rate: enough prompts for that.
  if (s.rampUp) return Math.max(1, Math.ceil(Math.max(s.rampUp.startRps, s.rampUp.endRps) * s.durationS));
  return TIME_BOUND_SLOTS;
}
