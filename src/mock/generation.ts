/**
 * One simulated generation: waits for a slot, then writes its chunks when the
 * central Ticker says they are due. Token k is generated at
 * start + ttft + Σ gaps; chunk 0 carries the first token alone (as vLLM sends
 * it), later chunks carry `tokensPerChunk` tokens and go out when their last
 * token is generated, so TTFT = ttftMs and TPOT = itlMs for any chunking.
 */
import type { Rng } from "../base/rng.ts";
import { faultValue, type FaultSpec } from "./faults.ts";
import type { Slots, SlotUser } from "./slots.ts";
import type { TickJob, Ticker } from "./ticker.ts";
import type { TruthStore } from "./truth.ts";
import { BAD_UTF8_MARK, withBadUtf8, type Wire } from "./wire.ts";

export interface GenerationPlan {
  wire: Wire;
  stream: boolean;
  outputTokens: number;
  /** Tokens per chunk after the first (1 for TGI). */
  tokensPerChunk: number;
  ttftMs: number;
  itlMs: number;
  jitterMs: number;
  /** Jitter source; used only when jitterMs > 0. */
  rng: Rng;
  /** A stream-shaping fault (cut, stall, malformed, error-event, huge-event, bad-utf8), if any. */
  fault: FaultSpec | undefined;
  /** Truth handle of this request. */
  truth: number;
}

export interface GenerationDeps {
  ticker: Ticker;
  truth: TruthStore;
  slots: Slots;
}

type Ctrl = ReadableStreamDirectController;

export class Generation implements TickJob, SlotUser {
  dueMs = 0;
  heapIndex = -1;
  abandoned = false;
  private sent = 0;
  private lastTokenAtMs = 0;
  private ctrl: Ctrl | null = null;
  private settle: (() => void) | null = null;
  private cut: ((reason?: unknown) => void) | null = null;
  private respond: ((r: Response) => void) | null = null;
  private holdsSlot = false;
  private malformedSent = false;

  constructor(private readonly deps: GenerationDeps, private readonly plan: GenerationPlan) {}

  /** A 200 SSE response whose body this generation writes. */
  streamResponse(headers: Record<string, string>): Response {
    const body = new ReadableStream({
      type: "direct",
      pull: (ctrl: Ctrl) =>
        new Promise<void>((resolve, reject) => {
          this.ctrl = ctrl;
          this.settle = resolve;
          this.cut = reject;
          this.deps.slots.acquire(this);
        }),
      cancel: () => this.abandon(),
    });
    this.deps.truth.setStatus(this.plan.truth, 200);
    return new Response(body, { status: 200, headers: { ...headers, "content-type": this.plan.wire.contentType } });
  }

  /** The whole response once all tokens are generated. */
  bodyResponse(): Promise<Response> {
    return new Promise((resolve) => {
      this.respond = resolve;
      this.deps.slots.acquire(this);
    });
  }

  begin(nowMs: number): void {
    const plan = this.plan;
    this.holdsSlot = true;
    const chunks = plan.stream ? 1 + Math.ceil((plan.outputTokens - 1) / plan.tokensPerChunk) : 1;
    const headChunks = plan.wire.head() === "" ? 0 : 1;
    this.deps.truth.start(plan.truth, nowMs, plan.stream ? chunks + headChunks : 1);
    this.lastTokenAtMs = nowMs + this.gap(plan.ttftMs);
    if (!plan.stream) for (let k = 1; k < plan.outputTokens; k++) this.lastTokenAtMs += this.gap(plan.itlMs);
    this.deps.ticker.schedule(this, this.lastTokenAtMs);
  }

  run(_nowMs: number): number {
    if (this.abandoned) return NaN;
    return this.plan.stream ? this.writeChunk() : this.writeBody();
  }

  private gap(baseMs: number): number {
    const j = this.plan.jitterMs;
    return j > 0 ? Math.max(0, baseMs + (this.plan.rng.next() * 2 - 1) * j) : baseMs;
  }

  private writeChunk(): number {
    const plan = this.plan;
    const wire = plan.wire;
    const fault = plan.fault;
    const from = this.sent;
    const to = from === 0 ? 1 : Math.min(plan.outputTokens, from + plan.tokensPerChunk);
    // malformed / error-event with K >= the output length happen before the last chunk rather than never.
    const k = !fault ? 0 : fault.kind === "cut" ? faultValue(fault) : Math.min(faultValue(fault), plan.outputTokens - 1);
    if (fault?.kind === "cut" && from >= k) return this.close(true);
    // Silent from here on with the connection left open; the slot is freed. `abandoned` makes the client's
    // later disconnect a no-op (the truth keeps this moment as the end).
    if (fault?.kind === "stall" && from >= k) {
      this.abandoned = true;
      this.finish(performance.now());
      return NaN;
    }
    if (fault?.kind === "error-event" && from >= k) {
      this.write(wire.errorEvent("Mock fault: generation failed"));
      return this.close(false);
    }
    let out = "";
    if (fault?.kind === "malformed" && from >= k && !this.malformedSent) {
      out += wire.malformedEvent();
      this.malformedSent = true;
    }
    const head = from === 0 ? wire.head() : "";
    out += head + wire.tokens(from, to, from === 0 ? this.faultText() : undefined);
    const last = to >= plan.outputTokens;
    // cut=K with K >= the output length: every token goes out, the end marker ([DONE], usage) does not.
    const cutBeforeEnd = last && fault?.kind === "cut";
    if (last && !cutBeforeEnd) out += wire.tail();
    if (!this.write(out)) return this.close(false);
    if (head !== "") this.deps.truth.chunkPending(plan.truth, 0);
    this.deps.truth.chunkPending(plan.truth, to - from);
    this.sent = to;
    if (last) return this.close(cutBeforeEnd);
    const nextTo = Math.min(plan.outputTokens, to + plan.tokensPerChunk);
    for (let t = to; t < nextTo; t++) this.lastTokenAtMs += this.gap(plan.itlMs);
    return this.lastTokenAtMs;
  }

  private writeBody(): number {
    const plan = this.plan;
    const fault = plan.fault;
    const n = plan.outputTokens;
    if (fault?.kind === "stall") {
      this.abandoned = true;
      this.finish(performance.now());
      return NaN;
    }
    let body = fault?.kind === "error-event" ? plan.wire.errorJson("Mock fault: generation failed") : plan.wire.body(n, this.faultText());
    if (fault?.kind === "malformed") body = body.slice(0, body.length >> 1);
    const at = performance.now();
    const headers = { "content-type": "application/json" };
    if (fault?.kind === "cut") {
      const half = body.slice(0, body.length >> 1);
      const stream = new ReadableStream({
        type: "direct",
        pull: (ctrl: Ctrl) => {
          ctrl.write(half);
          ctrl.flush();
          // Rejecting with undefined makes Bun drop the socket without logging an error; the timer lets the
          // half body go out first (see close()).
          return new Promise<void>((_r, reject) => setTimeout(() => reject(undefined), 1));
        },
      });
      this.respond!(new Response(stream, { status: 200, headers }));
    } else {
      this.respond!(new Response(fault?.kind === "bad-utf8" ? withBadUtf8(body) : body, { status: 200, headers }));
      if (fault?.kind !== "error-event" && fault?.kind !== "malformed") this.deps.truth.chunkPending(plan.truth, n);
    }
    this.deps.truth.setStatus(plan.truth, 200);
    this.finish(at);
    return NaN;
  }

  /** Text replacing the first token's text (the whole text when not streaming) under huge-event / bad-utf8. */
  private faultText(): string | undefined {
    const fault = this.plan.fault;
    if (fault?.kind === "huge-event") {
      const word = " data";
      return word.repeat(Math.ceil(faultValue(fault) / word.length));
    }
    if (fault?.kind === "bad-utf8") return " bad" + BAD_UTF8_MARK + "bytes";
    return undefined;
  }

  /** Returns false when the client has gone away. */
  private write(s: string): boolean {
    const ctrl = this.ctrl!;
    const n = this.plan.fault?.kind === "bad-utf8" && s.includes(BAD_UTF8_MARK) ? ctrl.write(withBadUtf8(s)) : ctrl.write(s);
    // No flush(): Bun sends what a callback wrote when the callback returns (the ticker batch ends).
    return n !== 0;
  }

  /** End the response: normally, or (cut) by dropping the socket mid-response. */
  private close(cut: boolean): number {
    if (cut) {
      // Bun sends written bytes when the event loop turns; dropping the socket in the same turn would lose them
      // (and the headers), so cut only after the buffer has drained and a timer phase has passed.
      const drop = this.cut;
      void Promise.resolve(this.ctrl?.flush(true)).then(() => setTimeout(() => drop?.(undefined), 1));
    } else {
      this.ctrl?.close();
      this.settle?.();
    }
    this.finish(performance.now());
    return NaN;
  }

  private abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.deps.ticker.cancel(this);
    this.finish(performance.now());
  }

  private finish(atMs: number): void {
    this.deps.truth.finish(this.plan.truth, atMs);
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.deps.slots.release();
    }
  }
}
