/**
 * Single-request units for the engine (./engine.ts): unit i is request i,
 * sent the moment it has its slot, its bytes taken from the request feed
 * (built ahead by the producer thread, ./request-feed.ts), timed by
 * TimedRequest on this thread's own connections. Its slot is freed when its
 * record is made.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { Engine } from "./engine.ts";
import type { HttpClient, Origin } from "./http.ts";
import type { RequestFeed } from "./request-feed.ts";
import { sendTimed, TimedRequest } from "./request.ts";
import type { Schedule } from "./schedule.ts";
import type { Units } from "./units.ts";
import { cur, TRACING } from "./stall-trace.ts";

export interface RequestUnitsOptions {
  client: HttpClient;
  origin: Origin;
  backend: BackendPlugin;
  requests: RequestFeed;
  schedule: Schedule;
  /** `x-request-id` of request g is `${requestIdPrefix}${g}`. */
  requestIdPrefix: string;
  /** Sharded runs: local unit j is global request first + j*step (ids, prompts, record index). */
  indexMap: { first: number; step: number } | null;
  /** The schedule origin on performance.now(). */
  t0: number;
  /** This engine thread's number, stamped on each record. */
  worker: number;
  /** Each finished request's record. Must be cheap: it runs on the hot path. */
  onRecord(record: RequestRecord): void;
}

export class RequestUnits implements Units {
  private readonly first: number;
  private readonly step: number;

  constructor(
    private readonly engine: Engine,
    private readonly o: RequestUnitsOptions,
  ) {
    this.first = o.indexMap?.first ?? 0;
    this.step = o.indexMap?.step ?? 1;
  }

  begin(i: number, nowMs: number, slotWaitMs: number): void {
    const { o } = this;
    const g = this.first + i * this.step;
    const request = new TimedRequest(g, o.requestIdPrefix + g, o.requests.get(i), o.backend, o.t0, o.schedule.at(i), nowMs, this.onDone);
    request.slotWaitMs = slotWaitMs;
    request.worker = o.worker;
    this.engine.inFlight.add(request);
    sendTimed(o.client, o.origin, request, o.t0);
  }

  private readonly onDone = (request: TimedRequest, record: RequestRecord): void => {
    this.engine.inFlight.delete(request);
    const at = TRACING ? performance.now() : 0;
    this.o.onRecord(record);
    if (TRACING) {
      cur.endMs += performance.now() - at;
      cur.ends++;
    }
    this.engine.endUnit();
  };
}
