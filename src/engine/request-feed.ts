/**
 * Where a dispatcher gets request bytes: by local index j (the j-th request
 * this process sends), in increasing j. Bytes are built ahead of the
 * schedule by a producer thread (./request-producer.ts) and arrive here in
 * batches; the dispatcher only copies them (STYLE rule 3: nothing slow on the
 * hot path), and a request whose bytes have not arrived yet waits for them,
 * its lateness measured as dispatch lag.
 */
import type { WorkloadItem } from "../base/request-types.ts";
import type { PreparedRequest } from "./request.ts";

/** Slots of the Int32Array a producer shares with its dispatchers. */
export const enum ProducerSlot {
  /** Local requests the dispatchers have taken (the highest index taken + 1). */
  Taken = 0,
  /** Non-zero: stop building. */
  Stop = 1,
  /** Never changes; notified to wake the producer early. */
  Wake = 2,
}
export const PRODUCER_SLOTS = 3;

/** A dispatcher's end of the producer: a port for the batches and the counters it advances. Cloneable (the port is transferred). */
export interface FeedPort {
  port: MessagePort;
  control: SharedArrayBuffer;
  /** Wake the producer when fewer than this many requests are left ahead. */
  lowWater: number;
}

/** The feed over a FeedPort, in whichever thread dispatches. */
export function openFeed(end: FeedPort, options: { toBytes?: (item: WorkloadItem) => PreparedRequest; floor?: () => number } = {}): BatchFeed {
  const taken = { counters: new Int32Array(end.control), slot: ProducerSlot.Taken, wakeSlot: ProducerSlot.Wake, lowWater: end.lowWater };
  return new BatchFeed(end.port, { ...options, taken });
}

export interface RequestFeed {
  /** Local request j's bytes are here (the producer may be behind). */
  has(j: number): boolean;
  /** Local request j's bytes, once has(j); j never goes down between calls. */
  get(j: number): PreparedRequest;
  /** Called when more bytes arrived, so a dispatcher waiting on has() carries on. */
  onArrival: (() => void) | null;
}

/** Request j uses list[j mod length]: the initial test request and warmups (a few, built before the clock starts). */
export function listFeed(list: readonly PreparedRequest[]): RequestFeed {
  return { has: () => true, get: (j) => list[j % list.length]!, onArrival: null };
}

/** Request j built on the spot: where no producer thread could start. */
export function buildingFeed(build: (j: number) => PreparedRequest): RequestFeed {
  return { has: () => true, get: build, onArrival: null };
}

/** Requests first … first + n − 1, back to back in one buffer shared by every consumer. */
export interface BytesBatch {
  kind: "bytes";
  first: number;
  bytes: SharedArrayBuffer;
  /** Per request, two offsets into `bytes`: where its head ends and where its tail ends (it starts where the one before ends). */
  ends: Int32Array;
  inputTokens: Int32Array;
  outputTokens: Int32Array;
}

/** Items rather than bytes: a backend loaded from disk builds its bodies in the main thread (./request-producer.ts). */
export interface ItemsBatch {
  kind: "items";
  first: number;
  items: WorkloadItem[];
}

export type RequestBatch = BytesBatch | ItemsBatch;

function batchSize(batch: RequestBatch): number {
  return batch.kind === "bytes" ? batch.inputTokens.length : batch.items.length;
}

/**
 * Batches from a producer, received on `port`. `taken` tells the producer how far the dispatchers
 * got (every feed, the main loop's and each dispatch thread's, stores there the index after the
 * one it takes; two threads' stores may land out of order, which only holds the producer back a
 * request or two until the next take). `floor` gives the lowest index anyone may still take, so
 * batches below it are dropped as they arrive.
 */
export class BatchFeed implements RequestFeed {
  private readonly batches: RequestBatch[] = [];
  /** Local index after the last request received. */
  private end = 0;
  onArrival: (() => void) | null = null;

  constructor(
    private readonly port: MessagePort,
    private readonly options: {
      toBytes?: (item: WorkloadItem) => PreparedRequest;
      taken: { counters: Int32Array; slot: number; wakeSlot: number; lowWater: number };
      floor?: () => number;
    },
  ) {
    port.onmessage = (event) => this.receive(event.data as RequestBatch);
  }

  /** Requests received so far. */
  get received(): number {
    return this.end;
  }

  has(j: number): boolean {
    return j < this.end;
  }

  get(j: number): PreparedRequest {
    // j only grows: batches wholly below it are done with.
    while (this.batches.length > 1 && this.batches[0]!.first + batchSize(this.batches[0]!) <= j) this.batches.shift();
    const { taken } = this.options;
    Atomics.store(taken.counters, taken.slot, j + 1);
    // Wake the producer when the look-ahead runs low; it also looks on its own every few ms.
    if (this.end - (j + 1) <= taken.lowWater) Atomics.notify(taken.counters, taken.wakeSlot);
    let k = 0;
    while (this.batches[k]!.first + batchSize(this.batches[k]!) <= j) k++;
    const batch = this.batches[k]!;
    const r = j - batch.first;
    if (batch.kind === "items") return this.options.toBytes!(batch.items[r]!);
    const start = r === 0 ? 0 : batch.ends[2 * r - 1]!;
    const headEnd = batch.ends[2 * r]!;
    const tailEnd = batch.ends[2 * r + 1]!;
    return {
      head: new Uint8Array(batch.bytes, start, headEnd - start),
      tail: new Uint8Array(batch.bytes, headEnd, tailEnd - headEnd),
      inputTokens: batch.inputTokens[r]!,
      requestedOutputTokens: batch.outputTokens[r]!,
    };
  }

  close(): void {
    this.port.onmessage = null;
    this.port.close();
    this.batches.length = 0;
  }

  private receive(batch: RequestBatch): void {
    const floor = this.options.floor?.() ?? 0;
    while (this.batches.length > 0 && this.batches[0]!.first + batchSize(this.batches[0]!) <= floor) this.batches.shift();
    this.batches.push(batch);
    this.end = batch.first + batchSize(batch);
    this.onArrival?.();
  }
}
