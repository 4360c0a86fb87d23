/**
 * The request producer: runs in its own thread (src/request-worker.ts; the
 * main side is ./producer-thread.ts) and builds request bytes a bounded
 * look-ahead ahead of the dispatchers, so no request is built before it is
 * about to be needed and none is built on a thread that stamps reads.
 *
 * Building a prompt is the slow part (about 1.5 ms for 1024 tokens on this
 * machine, 8 ms for 4096: the tokenizer checks its length), so it happens
 * here; the dispatcher only copies the finished bytes (./request-feed.ts).
 * The producer never runs more than `lookAhead` requests (and
 * `maxBytesAhead` bytes) ahead of the `taken` counter the dispatchers
 * advance, so memory does not grow with the run's length, and a run that
 * stops early (a deadline, Ctrl-C) has built only what it sent plus that.
 */
import { getPriority, setPriority } from "node:os";
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { Origin } from "./http.ts";
import { prepareRequest } from "./prepare-request.ts";
import { ProducerSlot, type BytesBatch, type ItemsBatch } from "./request-feed.ts";
import { openSource, type WorkloadData } from "../workload/datasets.ts";
import { loadTokenizer } from "../workload/tokenizer.ts";
import { idleThread } from "../base/thread-slice.ts";

export interface ProducerInit {
  kind: "init";
  data: WorkloadData;
  /** Tokenizer spec (loadTokenizer). */
  tokenizer: string;
  /** A built-in backend builds the bytes here; null (a backend loaded from disk): items are sent and the main thread builds the bodies. */
  backendName: string | null;
  scenario: ResolvedScenario;
  origin: Origin;
  headers: Record<string, string>;
  ignoreEos: boolean;
  /** Local requests to build: local j is global request first + j·step. */
  count: number;
  first: number;
  step: number;
  lookAhead: number;
  /** Build again once this many were taken (producer-thread.ts refillChunk): fewer, larger batches. */
  refill: number;
  maxBytesAhead: number;
  /** PRODUCER_SLOTS Int32 slots (ProducerSlot, ./request-feed.ts), shared with the dispatchers. */
  control: SharedArrayBuffer;
  /** One port per dispatcher: every batch goes to each of them. */
  ports: MessagePort[];
}

export type FromProducer =
  | { kind: "filled" }
  | { kind: "done"; built: number; notes: string[] }
  | { kind: "failed"; message: string };

/** How long the producer sleeps when it is far enough ahead, unless a dispatcher wakes it (a safety net). */
const POLL_MS = 50;
/** A batch is sent when it holds this many requests or bytes, or has taken this long to build. */
const BATCH_MAX = 64;
const BATCH_MAX_BYTES = 256 * 1024;
const BATCH_MAX_MS = 2;

/** The producer thread's work: build until told to stop or every request is built. */
export async function produce(init: ProducerInit, findBackend: (name: string) => BackendPlugin | undefined, post: (message: FromProducer) => void): Promise<void> {
  lowerPriority();
  const tokenizer = await loadTokenizer(init.tokenizer);
  const source = openSource(init.data, tokenizer);
  const backend = init.backendName === null ? null : findBackend(init.backendName);
  if (init.backendName !== null && !backend) throw new Error(`backend "${init.backendName}" is not built in`);
  const control = new Int32Array(init.control);
  const { count, lookAhead, refill } = init;
  // totalBefore[(i) mod R]: bytes of local requests before i; i is never more than lookAhead behind.
  const ring = lookAhead + 1;
  const totalBefore = new Float64Array(ring);
  let total = 0;
  let produced = 0;
  let filled = false;
  /** Building towards the target; starts again once `refill` requests were taken. */
  let refilling = true;
  const markFilled = () => {
    if (!filled) post({ kind: "filled" });
    filled = true;
  };

  while (produced < count && Atomics.load(control, ProducerSlot.Stop) === 0) {
    const taken = Math.min(Atomics.load(control, ProducerSlot.Taken), produced);
    const target = Math.min(count, taken + lookAhead);
    const bytesAhead = total - totalBefore[taken % ring]!;
    if (produced >= target) refilling = false;
    // The last requests of the run come however few they are.
    else if (!filled || target - produced >= Math.min(refill, count - produced)) refilling = true;
    if (!refilling || (produced > taken && bytesAhead >= init.maxBytesAhead)) {
      markFilled();
      Atomics.wait(control, ProducerSlot.Wake, 0, POLL_MS);
      continue;
    }
    const started = performance.now();
    const batchFirst = produced;
    const built: { head: Uint8Array; tail: Uint8Array; inputTokens: number; outputTokens: number }[] = [];
    const items: ItemsBatch["items"] = [];
    let batchBytes = 0;
    while (produced < target && built.length + items.length < BATCH_MAX && batchBytes < BATCH_MAX_BYTES && bytesAhead + batchBytes < init.maxBytesAhead) {
      const item = source.item(init.first + produced * init.step);
      let size = item.prompt.length;
      if (backend) {
        const prepared = prepareRequest(init.origin, init.scenario, backend, init.headers, item, init.ignoreEos);
        size = prepared.head.byteLength + prepared.tail.byteLength;
        built.push({ head: prepared.head, tail: prepared.tail, inputTokens: prepared.inputTokens, outputTokens: prepared.requestedOutputTokens });
      } else items.push(item);
      batchBytes += size;
      total += size;
      produced++;
      totalBefore[produced % ring] = total;
      if (performance.now() - started >= BATCH_MAX_MS) break;
    }
    const batch = backend ? packBytes(batchFirst, built, batchBytes) : ({ kind: "items", first: batchFirst, items } satisfies ItemsBatch);
    for (const port of init.ports) port.postMessage(batch);
  }
  markFilled();
  post({ kind: "done", built: produced, notes: source.lateNotes() });
}

/**
 * The producer builds in the time the dispatchers and release clocks leave: SCHED_IDLE where Linux
 * allows it (a core only when no normal thread wants one), else nice +10 for this thread only (Linux
 * applies setpriority to the calling thread). Three quarters of a second of look-ahead cover what it
 * loses when the machine is busy.
 */
function lowerPriority(): void {
  if (idleThread()) return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + 10));
  } catch {
    // Not permitted or not supported: the producer runs at the dispatchers' priority.
  }
}

/** One shared buffer for the batch: every consumer reads the same bytes, none is copied per thread. */
function packBytes(first: number, built: { head: Uint8Array; tail: Uint8Array; inputTokens: number; outputTokens: number }[], size: number): BytesBatch {
  const bytes = new SharedArrayBuffer(size);
  const view = new Uint8Array(bytes);
  const ends = new Int32Array(2 * built.length);
  let at = 0;
  built.forEach((r, k) => {
    view.set(r.head, at);
    at += r.head.byteLength;
    ends[2 * k] = at;
    view.set(r.tail, at);
    at += r.tail.byteLength;
    ends[2 * k + 1] = at;
  });
  return { kind: "bytes", first, bytes, ends, inputTokens: Int32Array.from(built, (r) => r.inputTokens), outputTokens: Int32Array.from(built, (r) => r.outputTokens) };
}
