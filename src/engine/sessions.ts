/**
 * Multi-turn sessions: each session's turns are sent one after another, turn
 * t+1 only after turn t's answer arrived (plus an optional think time), with
 * the conversation history growing in `messages`. Sessions start on the
 * arrival schedule (the rate applies to session starts) and at most
 * `max_concurrency` sessions are active at once.
 *
 * Unlike single-turn workloads, a later turn's body depends on the answer to
 * the previous one, so it is serialised when that answer arrives: one JSON
 * build per turn, never per token.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { ChatMessage, RequestRecord, WorkloadItem } from "../base/request-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { HttpClient, Origin } from "./http.ts";
import { prepareRequest } from "./prepare-request.ts";
import { sendTimed, sweepIntervalMs, sweepTimeouts, TimedRequest } from "./request.ts";

export interface SessionRunOptions {
  client: HttpClient;
  origin: Origin;
  backend: BackendPlugin;
  scenario: ResolvedScenario;
  headers: Record<string, string>;
  ignoreEos: boolean;
  /** Each session's turns (user prompts with their requested output lengths). */
  sessions: { turns: WorkloadItem[] }[];
  /** Session start offsets from t0 (ms). */
  startOffsetsMs: Float64Array;
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
}

export interface SessionRunResult {
  records: RequestRecord[];
  endMs: number;
  cancelled: boolean;
  /** Turns never sent because an earlier turn of their session failed or the run was cancelled. */
  turnsSkipped: number;
}


export function runSessions(o: SessionRunOptions): Promise<SessionRunResult> {
  const t0 = o.t0Ms ?? performance.now() + 1;
  const limit = o.maxConcurrency ?? Number.POSITIVE_INFINITY;
  const records: RequestRecord[] = [];
  const inFlight = new Set<TimedRequest>();
  const waiting: number[] = [];
  let active = 0;
  let started = 0;
  let finishedSessions = 0;
  let nextIndex = 0;
  let endMs = 0;
  let turnsSkipped = 0;
  let cancelled = false;
  /** Pending timers and what to do if the run is cancelled before they fire. */
  const timers = new Map<ReturnType<typeof setTimeout>, () => void>();

  return new Promise((resolve) => {
    const maybeDone = () => {
      if (finishedSessions < o.sessions.length || inFlight.size > 0) return;
      clearInterval(sweeper);
      for (const t of timers.keys()) clearTimeout(t);
      o.signal?.removeEventListener("abort", onAbort);
      resolve({ records, endMs, cancelled, turnsSkipped });
    };

    const endSession = (session: number, fromTurn: number) => {
      turnsSkipped += o.sessions[session]!.turns.length - fromTurn;
      finishedSessions++;
      active--;
      const next = waiting.shift();
      if (next !== undefined && !cancelled) begin(next);
      else if (next !== undefined) {
        active++; // a waiting session was never active; endSession balances it
        endSession(next, 0);
      }
      maybeDone();
    };

    const sendTurn = (session: number, turn: number, history: ChatMessage[], scheduledAtMs: number, dispatchedAtMs: number) => {
      if (cancelled) return endSession(session, turn);
      const item = o.sessions[session]!.turns[turn]!;
      const messages: ChatMessage[] = [...history, { role: "user", content: item.prompt }];
      const prepared = prepareRequest(o.origin, o.scenario, o.backend, o.headers, { ...item, messages }, o.ignoreEos);
      const index = nextIndex++;
      const requestId = `${o.requestIdPrefix}${session}-${turn}`;
      const request = new TimedRequest(index, requestId, prepared, o.backend, t0, scheduledAtMs, dispatchedAtMs, (done, record) => {
        inFlight.delete(done);
        record.session = session;
        record.turn = turn;
        records.push(record);
        if (record.doneAtMs > endMs) endMs = record.doneAtMs;
        o.onRecord(record);
        const isLast = turn + 1 >= o.sessions[session]!.turns.length;
        if (!record.success || isLast || cancelled) return endSession(session, turn + 1);
        const nextHistory: ChatMessage[] = [...messages, { role: "assistant", content: record.generatedText ?? "" }];
        const due = performance.now() - t0 + o.thinkTimeMs;
        const timer = setTimeout(() => {
          timers.delete(timer);
          sendTurn(session, turn + 1, nextHistory, due, performance.now() - t0);
        }, o.thinkTimeMs);
        timers.set(timer, () => endSession(session, turn + 1));
      });
      inFlight.add(request);
      o.onDispatch?.();
      sendTimed(o.client, o.origin, request, t0);
    };

    const begin = (session: number) => {
      active++;
      const nowMs = performance.now() - t0;
      sendTurn(session, 0, [], o.startOffsetsMs[session]!, nowMs);
    };

    const release = () => {
      while (started < o.sessions.length && o.startOffsetsMs[started]! <= performance.now() - t0) {
        const session = started++;
        if (cancelled) {
          active++;
          endSession(session, 0);
        } else if (active < limit) begin(session);
        else waiting.push(session);
      }
      if (started < o.sessions.length && !cancelled) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          release();
        }, Math.max(0, o.startOffsetsMs[started]! - (performance.now() - t0)));
        timers.set(timer, () => {});
      }
    };

    const sweeper = setInterval(() => {
      const nowMs = performance.now() - t0;
      sweepTimeouts(inFlight, nowMs, o.timeoutMs, o.idleTimeoutMs);
    }, sweepIntervalMs(o.idleTimeoutMs));

    const onAbort = () => {
      cancelled = true;
      const nowMs = performance.now() - t0;
      for (const request of [...inFlight]) request.abort("cancelled", "run interrupted", nowMs);
      // Sessions between turns, and sessions not yet started, end here.
      const pending = [...timers];
      timers.clear();
      for (const [timer, cancel] of pending) {
        clearTimeout(timer);
        cancel();
      }
      while (started < o.sessions.length) {
        active++; // endSession expects an active session
        endSession(started++, 0);
      }
      maybeDone();
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort);

    if (o.sessions.length === 0) return maybeDone();
    release();
  });
}
