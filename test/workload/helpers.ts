import { join } from "node:path";
import type { ResolvedScenario } from "../../src/base/scenario-types.ts";
import type { WorkloadItem } from "../../src/base/request-types.ts";
import { workloadItems, type Workload } from "../../src/workload/index.ts";
import { testScenario } from "../helpers/scenario.ts";

export const FIXTURES = join(import.meta.dir, "../fixtures/datasets");

/** A resolved scenario with small lengths; override what a test needs. */
export function scenario(overrides: Partial<ResolvedScenario> = {}): ResolvedScenario {
  return testScenario({ name: "t", baseUrl: "http://127.0.0.1:1", numPrompts: 10, randomInputLen: 32, randomOutputLen: 8, timeoutS: 60, idleTimeoutS: 30, ...overrides });
}

/** A workload with items 0..count-1 built and every note, those known only once items are built included. */
export function built<W extends Workload>(w: W): W & { items: WorkloadItem[] } {
  const items = workloadItems(w);
  return { ...w, items, notes: [...w.notes, ...w.source.lateNotes()] };
}
