/**
 * Request bytes for one measured run: the producer thread
 * (./producer-thread.ts) started with one port per dispatcher, its first
 * look-ahead awaited before the clock starts, and stopped after the run.
 * Where no producer thread can start, or it fails before the start, the
 * main thread builds each request as it is dispatched (slower, but the run
 * goes on).
 */
import type { PreparedScenario } from "./prepare.ts";
import type { Logger } from "../base/log.ts";
import type { Schedule } from "./schedule.ts";
import type { ThreadedLoadOptions } from "./dispatch-threads.ts";
import { buildingFeed, openFeed, type FeedPort, type RequestFeed } from "./request-feed.ts";
import { lookAheadFor, startProducerThread, type ProducerThread } from "./producer-thread.ts";
import { prepareRequest } from "./prepare-request.ts";

export interface RequestSupply {
  /** Requests built ahead of the dispatchers at most. */
  lookAhead: number;
  /** The dispatch threads' requests option; null when there is no producer (use the single loop). */
  forThreads(): ThreadedLoadOptions["requests"] | null;
  /** The main thread's feed (the single loop). */
  forMainThread(): RequestFeed;
  /** Called once if the producer fails during the run. */
  onFailure: ((message: string) => void) | null;
  /** Stop building: how many requests were built (null: unknown) and the notes only building could tell. */
  finish(): Promise<{ built: number | null; notes: string[] }>;
}

export interface SupplyOptions {
  schedule: Schedule;
  maxConcurrency: number | null;
  indexMap?: { first: number; step: number };
  /** Dispatch threads that may take the requests (1: the main thread). */
  consumers: number;
  backendBuiltIn: boolean;
  log: Logger;
}

/** Start building the run's requests; resolves when the first look-ahead is ready. */
export async function supplyRequests(prepared: PreparedScenario, supplyOptions: SupplyOptions): Promise<RequestSupply> {
  const { scenario } = prepared.run;
  const lookAhead = lookAheadFor(supplyOptions.schedule, supplyOptions.maxConcurrency);
  const first = supplyOptions.indexMap?.first ?? 0;
  const step = supplyOptions.indexMap?.step ?? 1;
  const buildHere = (j: number) => prepared.requestAt(first + j * step);
  const data = prepared.workload.data;
  let producer: ProducerThread | null = null;
  if (data !== null && supplyOptions.schedule.count > 0) {
    const options = { data, tokenizer: prepared.tokenizer.name, backend: prepared.backend, backendBuiltIn: supplyOptions.backendBuiltIn, scenario, origin: prepared.origin, headers: prepared.headers, ignoreEos: prepared.ignoreEos };
    producer = startProducerThread({ ...options, count: supplyOptions.schedule.count, indexMap: supplyOptions.indexMap, lookAhead, consumers: supplyOptions.consumers });
    const started = performance.now();
    try {
      await producer?.filled;
      supplyOptions.log.debug(`request producer: ${lookAhead} requests built ahead in ${(performance.now() - started).toFixed(0)} ms`);
    } catch (error) {
      supplyOptions.log.warn(`the request producer thread failed (${String(error)}); requests are built by the dispatching thread instead`);
      producer = null;
    }
  }
  let finished = false;
  const toBytes = (item: Parameters<typeof prepareRequest>[4]) => prepareRequest(prepared.origin, scenario, prepared.backend, prepared.headers, item, prepared.ignoreEos);
  const supply: RequestSupply = {
    lookAhead,
    forThreads: () => (producer ? { kind: "ports", ends: producer.feeds } : null),
    forMainThread() {
      if (!producer) return buildingFeed(buildHere);
      // Ports meant for dispatch threads that did not start: closed, so nothing queues up on them.
      for (const end of producer.feeds.slice(1)) end.port.close();
      return openFeed(producer.feeds[0] as FeedPort, { toBytes });
    },
    onFailure: null,
    async finish() {
      if (!producer) return { built: null, notes: prepared.workload.source.lateNotes() };
      if (finished) return { built: null, notes: [] };
      finished = true;
      const result = await producer.stop();
      return { built: result.built < 0 ? null : result.built, notes: result.notes };
    },
  };
  if (producer) producer.onFailure = (message) => supply.onFailure?.(message);
  return supply;
}
