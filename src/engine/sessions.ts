/**
 * Multi-turn sessions: each session's turns are sent one after another, turn
 * t+1 only after turn t's answer arrived (plus an optional think time), with
 * the conversation history growing in `messages`. Sessions are the engine's
 * units (./engine.ts): they start on the arrival schedule (the rate applies
 * to session starts) and each holds a `max_concurrency` slot from its first
 * turn to its last.
 *
 * Unlike single-turn workloads, a later turn's body depends on the answer to
 * the previous one, so it is serialised when that answer arrives: one JSON
 * build per turn, never per token.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { ChatMessage, RequestRecord, WorkloadItem } from "../base/request-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { HttpClient, Origin } from "./http.ts";
import type { Engine } from "./engine.ts";
import { runOnEngine } from "./loadgen.ts";
import { prepareRequest } from "./prepare-request.ts";
import { sendTimed, TimedRequest } from "./request.ts";
import type { Schedule } from "./schedule.ts";
import type { Units } from "./units.ts";

export interface SessionRunOptions {
  client: HttpClient;
  origin: Origin;
  backend: BackendPlugin;
  scenario: ResolvedScenario;
  headers: Record<string, string>;
  ignoreEos: boolean;
  /** Each session's turns (user prompts with their requested output lengths). */
  sessions: { turns: WorkloadItem[] }[];
  /** Session starts: session s at t0 + schedule.at(s). */
  schedule: Schedule;
  maxConcurrency: number | null;
  thinkTimeMs: number;
  requestIdPrefix: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  onRecord(record: RequestRecord): void;
  /** Called as each turn is handed to the HTTP client (live metrics). */
  onDispatch?(): void;
  signal?: AbortSignal;
  /** The schedule origin on performance.now(); default: a hair after the call. */
  t0Ms?: number;
  /** This engine thread's number, stamped on each record. */
  worker?: number;
}

export interface SessionRunResult {
  records: RequestRecord[];
  endMs: number;
  cancelled: boolean;
  /** Turns never sent because an earlier turn of their session failed or the run was cancelled. */
  turnsSkipped: number;
}

/** Session units: a record's index is its turn's place in the plan (session by session), the same in every thread. */
export class SessionUnits implements Units {
  turnsSent = 0;
  private readonly turnBase: number[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly options: Omit<SessionRunOptions, "onDispatch" | "signal" | "t0Ms" | "maxConcurrency">,
    private readonly t0: number,
  ) {
    let base = 0;
    for (const s of options.sessions) {
      this.turnBase.push(base);
      base += s.turns.length;
    }
  }

  begin(session: number, nowMs: number, slotWaitMs: number): void {
    this.sendTurn(session, 0, [], this.options.schedule.at(session), nowMs, slotWaitMs);
  }

  private sendTurn(session: number, turn: number, history: ChatMessage[], scheduledAtMs: number, dispatchedAtMs: number, slotWaitMs: number): void {
    const { options, engine } = this;
    if (engine.cancelled) return engine.endUnit();
    const item = options.sessions[session]!.turns[turn]!;
    const messages: ChatMessage[] = [...history, { role: "user", content: item.prompt }];
    const prepared = prepareRequest(options.origin, options.scenario, options.backend, options.headers, { ...item, messages }, options.ignoreEos);
    const requestId = `${options.requestIdPrefix}${session}-${turn}`;
    const request = new TimedRequest(this.turnBase[session]! + turn, requestId, prepared, options.backend, this.t0, scheduledAtMs, dispatchedAtMs, (done, record) => {
      engine.inFlight.delete(done);
      record.session = session;
      record.turn = turn;
      options.onRecord(record);
      const isLast = turn + 1 >= options.sessions[session]!.turns.length;
      if (!record.success || isLast || engine.cancelled) return engine.endUnit();
      const nextHistory: ChatMessage[] = [...messages, { role: "assistant", content: record.generatedText ?? "" }];
      const due = engine.nowMs() + options.thinkTimeMs;
      engine.later(options.thinkTimeMs, () => this.sendTurn(session, turn + 1, nextHistory, due, engine.nowMs(), 0), () => engine.endUnit());
    });
    request.slotWaitMs = slotWaitMs;
    request.worker = options.worker ?? 0;
    engine.inFlight.add(request);
    this.turnsSent++;
    this.onTurn?.();
    sendTimed(options.client, options.origin, request, this.t0);
  }

  /** Called as each turn is sent. */
  onTurn: (() => void) | undefined;
}

export async function runSessions(options: SessionRunOptions): Promise<SessionRunResult> {
  const records: RequestRecord[] = [];
  let endMs = 0;
  let units: SessionUnits | null = null;
  const onRecord = (record: RequestRecord) => {
    records.push(record);
    if (record.doneAtMs > endMs) endMs = record.doneAtMs;
    options.onRecord(record);
  };
  // The live dispatch count counts turns, not session starts.
  const result = await runOnEngine({ ...options, onDispatch: undefined }, (engine, t0) => {
    units = new SessionUnits(engine, { ...options, onRecord }, t0);
    units.onTurn = options.onDispatch;
    return units;
  });
  const totalTurns = options.sessions.reduce((n, s) => n + s.turns.length, 0);
  return { records, endMs, cancelled: result.cancelled, turnsSkipped: totalTurns - (units as SessionUnits | null)!.turnsSent };
}
