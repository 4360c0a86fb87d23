/**
 * The simulator's own record of what it did, per generation request, on its
 * monotonic clock (performance.now()). Stored column-wise in growable typed
 * arrays; chunk times go to one shared Float32Array pool as offsets from
 * receivedAtMs (4 µs resolution up to 65 s, 31 µs up to 10 min), so a million
 * requests of 16 tokens take about 100 MB.
 */

/** One request as the simulator saw it. Times in ms on the server's performance.now(), rounded to µs; null = never happened. */
export interface TruthRecord {
  /** Generation-request index (0-based since server start; the fault selectors use it). */
  index: number;
  /** The `x-request-id` header, "" when absent. */
  requestId: string;
  path: string;
  /** HTTP status sent; 0 when no response was started (hang, die). */
  status: number;
  /** Fault applied: a fault kind, "error-rate", or "" for none. */
  fault: string;
  receivedAtMs: number;
  /** When the request got a server slot (after slow headers and the maxConcurrency queue). */
  startedAtMs: number | null;
  firstTokenAtMs: number | null;
  /**
   * When each token-bearing chunk was sent (chat: the role-only delta counts, as in vLLM): the end of the
   * ticker batch that wrote it, which is when Bun hands the batch's bytes to the kernel.
   */
  chunkAtMs: number[];
  /** When the response was finished, cut or abandoned. */
  doneAtMs: number | null;
  /** Tokens actually sent. */
  outputTokens: number;
  promptTokens: number;
  /**
   * Bun.hash (wyhash) of the request body, hex: equal bodies give equal digests, so two runs can be
   * shown to have sent the same requests (a sharded run against an unsharded one). "" when unread.
   */
  bodyHash: string;
}

export const TRUTH_PATHS = ["/v1/chat/completions", "/v1/completions", "/generate_stream", "/generate"] as const;
export type TruthPath = (typeof TRUTH_PATHS)[number];

/** Round to the microsecond: the pool's float32 offsets carry no more than that. */
function roundUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function grow<T extends Float64Array | Float32Array | Int32Array | Uint8Array | Uint16Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

export class TruthStore {
  private n = 0;
  private epoch = 0;
  /** Index of the first record held (records are appended in index order). */
  private firstIndex = 0;
  private ids: string[] = [];
  private bodyHashes: string[] = [];
  private faultNames: string[] = [""];
  private received = new Float64Array(1024);
  private started = new Float64Array(1024);
  private first = new Float64Array(1024);
  private done = new Float64Array(1024);
  private status = new Uint16Array(1024);
  private path = new Uint8Array(1024);
  private fault = new Uint8Array(1024);
  private outTokens = new Int32Array(1024);
  private promptTokens = new Int32Array(1024);
  private chunkStart = new Float64Array(1024);
  private chunkCount = new Int32Array(1024);
  private chunkCap = new Int32Array(1024);
  private pool = new Float32Array(16384);
  private poolUsed = 0;

  /** A handle that stays valid across clear(): writes to a cleared record are dropped. */
  add(index: number, requestId: string, path: TruthPath, receivedAtMs: number): number {
    if (this.n === 0) this.firstIndex = index;
    const r = this.n++;
    if (r >= this.received.length) {
      const need = r + 1;
      this.received = grow(this.received, need);
      this.started = grow(this.started, need);
      this.first = grow(this.first, need);
      this.done = grow(this.done, need);
      this.status = grow(this.status, need);
      this.path = grow(this.path, need);
      this.fault = grow(this.fault, need);
      this.outTokens = grow(this.outTokens, need);
      this.promptTokens = grow(this.promptTokens, need);
      this.chunkStart = grow(this.chunkStart, need);
      this.chunkCount = grow(this.chunkCount, need);
      this.chunkCap = grow(this.chunkCap, need);
    }
    this.ids[r] = requestId;
    this.bodyHashes[r] = "";
    this.received[r] = receivedAtMs;
    this.started[r] = this.first[r] = this.done[r] = NaN;
    this.status[r] = 0;
    this.path[r] = TRUTH_PATHS.indexOf(path);
    this.fault[r] = 0;
    this.outTokens[r] = this.promptTokens[r] = 0;
    this.chunkStart[r] = this.chunkCount[r] = this.chunkCap[r] = 0;
    return this.epoch * 2 ** 32 + r;
  }

  private slot(h: number): number {
    return Math.floor(h / 2 ** 32) === this.epoch ? h % 2 ** 32 : -1;
  }

  setStatus(h: number, status: number): void {
    const r = this.slot(h);
    if (r >= 0) this.status[r] = status;
  }

  setFault(h: number, name: string): void {
    const r = this.slot(h);
    if (r < 0) return;
    let code = this.faultNames.indexOf(name);
    if (code < 0) code = this.faultNames.push(name) - 1;
    this.fault[r] = code;
  }

  setBodyHash(h: number, hash: string): void {
    const r = this.slot(h);
    if (r >= 0) this.bodyHashes[r] = hash;
  }

  setPromptTokens(h: number, tokens: number): void {
    const r = this.slot(h);
    if (r >= 0) this.promptTokens[r] = tokens;
  }

  /** The request got its slot; reserve room for `maxChunks` chunk times. */
  start(h: number, atMs: number, maxChunks: number): void {
    const r = this.slot(h);
    if (r < 0) return;
    this.started[r] = atMs;
    this.pool = grow(this.pool, this.poolUsed + maxChunks);
    this.chunkStart[r] = this.poolUsed;
    this.chunkCap[r] = maxChunks;
    this.poolUsed += maxChunks;
  }

  private pendingHandles: number[] = [];
  private pendingTokens: number[] = [];

  /** A token-bearing chunk was written; its time is set by stampPending() once the batch's bytes are released. */
  chunkPending(h: number, tokens: number): void {
    this.pendingHandles.push(h);
    this.pendingTokens.push(tokens);
  }

  stampPending(atMs: number): void {
    const hs = this.pendingHandles;
    for (let i = 0; i < hs.length; i++) this.chunk(hs[i], atMs, this.pendingTokens[i]);
    hs.length = 0;
    this.pendingTokens.length = 0;
  }

  /** A token-bearing chunk carrying `tokens` tokens was sent at `atMs`. */
  chunk(h: number, atMs: number, tokens: number): void {
    const r = this.slot(h);
    if (r < 0) return;
    // A response closed in the same batch is done when its last bytes leave.
    if (this.done[r] < atMs) this.done[r] = atMs;
    if (this.chunkCount[r] === 0) this.first[r] = atMs;
    if (this.chunkCount[r] < this.chunkCap[r]) {
      this.pool[this.chunkStart[r] + this.chunkCount[r]] = atMs - this.received[r];
      this.chunkCount[r]++;
    }
    this.outTokens[r] += tokens;
  }

  finish(h: number, atMs: number): void {
    const r = this.slot(h);
    if (r >= 0 && Number.isNaN(this.done[r])) this.done[r] = atMs;
  }

  clear(): void {
    this.epoch++;
    this.n = 0;
    this.poolUsed = 0;
    this.ids = [];
    this.bodyHashes = [];
  }

  get count(): number {
    return this.n;
  }

  record(r: number): TruthRecord {
    const base = this.received[r];
    const chunkAtMs: number[] = new Array(this.chunkCount[r]);
    for (let k = 0; k < chunkAtMs.length; k++) chunkAtMs[k] = roundUs(base + this.pool[this.chunkStart[r] + k]);
    const orNull = (v: number): number | null => (Number.isNaN(v) ? null : roundUs(v));
    return {
      index: this.firstIndex + r,
      requestId: this.ids[r],
      path: TRUTH_PATHS[this.path[r]],
      status: this.status[r],
      fault: this.faultNames[this.fault[r]],
      receivedAtMs: roundUs(base),
      startedAtMs: orNull(this.started[r]),
      // From the pool like chunkAtMs, so firstTokenAtMs === chunkAtMs[0] exactly.
      firstTokenAtMs: chunkAtMs.length > 0 ? chunkAtMs[0] : orNull(this.first[r]),
      chunkAtMs,
      doneAtMs: orNull(this.done[r]),
      outputTokens: this.outTokens[r],
      promptTokens: this.promptTokens[r],
      bodyHash: this.bodyHashes[r] ?? "",
    };
  }

  records(offset = 0, limit = Infinity): TruthRecord[] {
    const out: TruthRecord[] = [];
    const end = Math.min(this.n, offset + limit);
    for (let r = Math.max(0, offset); r < end; r++) out.push(this.record(r));
    return out;
  }

  /** Aggregates over the held records: ttft from receipt (includes queueing), pooled chunk gaps. */
  aggregate(): { count: number; meanTtftMs: number | null; meanInterChunkGapMs: number | null; totalChunks: number; totalOutputTokens: number } {
    let ttftSum = 0, ttftN = 0, gapSum = 0, gapN = 0, chunks = 0, tokens = 0;
    for (let r = 0; r < this.n; r++) {
      const c = this.chunkCount[r];
      chunks += c;
      tokens += this.outTokens[r];
      if (c > 0) {
        ttftSum += this.first[r] - this.received[r];
        ttftN++;
      }
      if (c > 1) {
        const s = this.chunkStart[r];
        gapSum += this.pool[s + c - 1] - this.pool[s];
        gapN += c - 1;
      }
    }
    return {
      count: this.n,
      meanTtftMs: ttftN ? ttftSum / ttftN : null,
      meanInterChunkGapMs: gapN ? gapSum / gapN : null,
      totalChunks: chunks,
      totalOutputTokens: tokens,
    };
  }
}
