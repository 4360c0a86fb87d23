/**
 * The simulator's non-generation endpoints: discovery (`/v1/models`, `/info`),
 * `/health`, and the truth record (`/_truth`, `/_truth/summary`).
 */
import type { Slots } from "./slots.ts";
import type { Ticker } from "./ticker.ts";
import type { TruthStore } from "./truth.ts";

type Handler = (req: Request) => Response;

export function discoveryRoutes(model: string): Record<string, Record<string, Handler>> {
  const created = Math.floor(Date.now() / 1000);
  const models = JSON.stringify({
    object: "list",
    data: [{ id: model, object: "model", created, owned_by: "vbench-mock", root: model, parent: null, max_model_len: 131072, permission: [] }],
  });
  const info = JSON.stringify({
    model_id: model,
    model_sha: null,
    model_dtype: "float16",
    model_device_type: "cpu",
    model_pipeline_tag: "text-generation",
    max_concurrent_requests: 128,
    max_best_of: 2,
    max_stop_sequences: 4,
    max_input_tokens: 131071,
    max_total_tokens: 131072,
    validation_workers: 2,
    max_client_batch_size: 4,
    router: "text-generation-router",
    version: "vbench-mock",
    sha: null,
    docker_label: null,
  });
  const json = (s: string): Response => new Response(s, { headers: { "content-type": "application/json" } });
  return {
    "/v1/models": { GET: () => json(models) },
    "/info": { GET: () => json(info) },
    "/health": { GET: () => new Response(null, { status: 200 }) },
  };
}

export interface TruthDeps {
  truth: TruthStore;
  slots: Slots;
  ticker: Ticker;
  requestCount(): number;
}

/** GET /_truth/summary. Times in ms on the server's performance.now(). */
export interface TruthSummary {
  /** Records held (generation requests since start or the last DELETE /_truth). */
  count: number;
  /** Mean of firstTokenAtMs − receivedAtMs over records with a first token (includes queueing); null when none. */
  meanTtftMs: number | null;
  /** Mean gap between consecutive token-bearing chunks, pooled over all records; null when none. */
  meanInterChunkGapMs: number | null;
  /** Most requests generating at once (holding a slot) since start or the last DELETE /_truth. */
  maxConcurrentStreams: number;
  totalChunks: number;
  totalOutputTokens: number;
  /** Generating now / waiting for a slot now. */
  inFlight: number;
  queued: number;
  /** Generation requests received since start (the fault index counter). */
  requestsReceived: number;
  /** Wakes of the central timer since start. */
  tickerWakes: number;
  /** CPU time of the whole server process since start. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Resident memory of the server process, MiB. */
  rssMiB: number;
  /** performance.timeOrigin of the server (epoch ms), to map its clock onto another process's. */
  timeOriginMs: number;
  nowMs: number;
}

export function summarizeTruth(deps: TruthDeps): TruthSummary {
  const cpu = process.cpuUsage();
  return {
    ...deps.truth.aggregate(),
    maxConcurrentStreams: deps.slots.peak,
    inFlight: deps.slots.inUse,
    queued: deps.slots.waiting,
    requestsReceived: deps.requestCount(),
    tickerWakes: deps.ticker.wakes,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rssMiB: Math.round(process.memoryUsage.rss() / 1048576),
    timeOriginMs: performance.timeOrigin,
    nowMs: performance.now(),
  };
}

function intParam(url: URL, name: string, fallback: number): number {
  const v = Number(url.searchParams.get(name) ?? NaN);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

export function truthRoutes(deps: TruthDeps): Record<string, Record<string, Handler>> {
  return {
    "/_truth": {
      // ?offset=&limit= page through a large record.
      GET: (req) => {
        const url = new URL(req.url);
        const records = deps.truth.records(intParam(url, "offset", 0), intParam(url, "limit", Infinity));
        return Response.json(records);
      },
      DELETE: () => {
        const cleared = deps.truth.count;
        deps.truth.clear();
        deps.slots.resetPeak();
        return Response.json({ cleared });
      },
    },
    "/_truth/summary": { GET: () => Response.json(summarizeTruth(deps)) },
  };
}
