/**
 * Multi-turn chat sessions: `"sessions": S, "turns": T, "think_time_ms": ms`
 * in a scenario of any dataset type but trace. ShareGPT sessions replay real
 * conversations (sharegpt-sessions.ts); other datasets supply S×T user turns,
 * dealt to sessions in order (session s gets items s·T … s·T+T−1). Only the
 * user turns are planned here: the load generator builds each conversation's
 * history from the answers as they arrive.
 */
import { VbenchError } from "../base/errors.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { WorkloadItem } from "../base/request-types.ts";
import { buildDataset, workloadItems } from "./datasets.ts";
import { checkDataset } from "./options.ts";
import { buildSharegptSessions, type SessionPlan } from "./sharegpt-sessions.ts";

export type { SessionPlan };
import type { Tokenizer } from "./tokenizer.ts";

/**
 * One entry per session, its user turns in order. A turn's `inputTokens`
 * counts that user message only; the prompt the server sees also holds the
 * history (its usage.prompt_tokens reports the full size).
 */

export interface SessionWorkload {
  plan: SessionPlan;
  /** Pause between receiving an answer and sending the session's next turn. */
  thinkTimeMs: number;
  ignoreEos: boolean;
  notes: string[];
}

/** The scenario's sessions options, or undefined when it has none. */
export function sessionsOption(scenario: ResolvedScenario): { sessions: number; turns: number; thinkTimeMs: number } | undefined {
  const { sessions, turns, think_time_ms } = checkDataset(scenario.dataset);
  if (sessions === undefined && turns === undefined) {
    if (think_time_ms !== undefined) throw incomplete("think_time_ms applies to multi-turn sessions only");
    return undefined;
  }
  if (sessions === undefined || turns === undefined) throw incomplete("multi-turn sessions need both sessions and turns");
  return { sessions, turns, thinkTimeMs: think_time_ms ?? 0 };
}

function incomplete(why: string): VbenchError {
  return new VbenchError("dataset_invalid", why, {
    hint: 'Give both, e.g. "sessions": 8, "turns": 4, "think_time_ms": 1000.',
  });
}

export async function buildSessions(scenario: ResolvedScenario, tokenizer: Tokenizer): Promise<SessionWorkload> {
  const option = sessionsOption(scenario);
  if (!option) {
    throw incomplete(`scenario ${scenario.name} has no sessions and turns`);
  }
  const dataset = checkDataset(scenario.dataset);
  if (dataset.type === "trace") {
    throw new VbenchError("dataset_invalid", "sessions cannot be combined with the trace dataset (a trace fixes every arrival time)", {
      hint: "Use sessions with random, synthetic, prefix, jsonl or sharegpt.",
    });
  }
  if (dataset.type === "sharegpt") {
    const notes: string[] = [];
    const opts = { path: dataset.dataset_path, sessions: option.sessions, turns: option.turns, outputLen: dataset.output_len, seed: scenario.seed };
    const plan = await buildSharegptSessions(opts, tokenizer, notes);
    return { plan, thinkTimeMs: option.thinkTimeMs, ignoreEos: false, notes };
  }
  const base = await buildDataset(scenario, tokenizer, option.sessions * option.turns);
  const items = workloadItems(base);
  const plan: SessionPlan = [];
  for (let s = 0; s < option.sessions; s++) {
    plan.push({ turns: items.slice(s * option.turns, (s + 1) * option.turns) });
  }
  return { plan, thinkTimeMs: option.thinkTimeMs, ignoreEos: base.ignoreEos, notes: [...base.notes, ...base.source.lateNotes()] };
}
