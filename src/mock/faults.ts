/**
 * Fault injection, deterministic by request index.
 *
 * Every POST to a generation path (`/v1/chat/completions`, `/v1/completions`,
 * `/generate_stream`, `/generate`) takes the next index, 0-based, counted from
 * server start (DELETE /_truth does not reset it; discovery GETs are not
 * counted, but the client's initial test request and warmups are). A fault is
 * written `KIND[=VALUE]@SELECTOR`; the first fault whose selector matches a
 * request applies to it.
 *
 * Selectors: `all`; `every:N` (the Nth, 2Nth, ... request: indices N-1, 2N-1, ...);
 * `from:I` (indices >= I); `at:I,J,K` (exactly these indices).
 *
 * Kinds (VALUE default in brackets):
 * - `status=CODE[:BODY]` [500]: answer at once with that status and BODY
 *   (default: an OpenAI-style error object, or TGI's `{"error","error_type"}` on TGI paths);
 * - `cut=K` [1]: stream K tokens, then close the socket without ending the response, at the time the next
 *   chunk was due (K = 0: right after the headers; K >= the output length: OpenAI streams lose only the usage
 *   chunk and `[DONE]`, TGI streams send everything and then drop the socket instead of ending cleanly);
 * - `malformed=K` [1]: after K tokens, one event whose JSON is cut off; the stream then goes on normally;
 * - `error-event=K` [1]: after K tokens, an error event inside the 200 stream, then the stream ends
 *   (OpenAI: `data: {"error":{...}}` then `data: [DONE]`; TGI: `data:{"error":..,"error_type":"overloaded"}`);
 * - `hang`: accept the request and never answer;
 * - `stall=K` [1]: stream K tokens (at most all but the last), then send nothing more and keep the connection open
 *   (a stream that goes silent mid-way: the client's idle timeout must end it);
 * - `slow-headers=MS` [1000]: hold the response headers back MS ms (queueing and TTFT start after it);
 * - `huge-event=BYTES` [1572864]: the first token's event carries text of BYTES bytes (> 1 MiB by default);
 * - `bad-utf8`: the first token's text carries the invalid UTF-8 bytes 0xFF 0xFE.
 *
 * With `tokensPerChunk` > 1, "after K tokens" means after the last chunk that ends at or before K tokens;
 * for malformed and error-event a K at or past the output length means "before the last chunk".
 * Non-streaming requests: cut sends half the JSON body then closes; malformed sends a cut-off body; stall never answers;
 * error-event answers 200 with an error object; huge-event and bad-utf8 apply to the body's text.
 */
import { VbenchError } from "../base/errors.ts";

export type FaultKind =
  | "status"
  | "cut"
  | "malformed"
  | "error-event"
  | "hang"
  | "stall"
  | "slow-headers"
  | "huge-event"
  | "bad-utf8";

export type RequestSelector =
  | { type: "all" }
  | { type: "every"; n: number }
  | { type: "from"; index: number }
  | { type: "at"; indices: number[] };

export interface FaultSpec {
  kind: FaultKind;
  select: RequestSelector;
  /** Status code, tokens before the fault, delay ms or event bytes, by kind; absent = the kind's default. */
  value?: number;
  /** Response body for `status` faults. */
  body?: string;
}

const DEFAULT_VALUE: Record<FaultKind, number> = {
  status: 500,
  cut: 1,
  malformed: 1,
  "error-event": 1,
  hang: 0,
  stall: 1,
  "slow-headers": 1000,
  "huge-event": 1_572_864,
  "bad-utf8": 0,
};

export const FAULT_KINDS = Object.keys(DEFAULT_VALUE) as FaultKind[];

export function faultValue(fault: FaultSpec): number {
  return fault.value ?? DEFAULT_VALUE[fault.kind];
}

export function selects(selector: RequestSelector, index: number): boolean {
  switch (selector.type) {
    case "all":
      return true;
    case "every":
      return index % selector.n === selector.n - 1;
    case "from":
      return index >= selector.index;
    case "at":
      return selector.indices.includes(index);
  }
}

/** The fault for request `index`, or undefined. */
export function faultFor(faults: readonly FaultSpec[], index: number): FaultSpec | undefined {
  for (const f of faults) if (selects(f.select, index)) return f;
  return undefined;
}

function bad(spec: string, why: string): never {
  throw new VbenchError("mock_fault", `bad fault "${spec}": ${why}`, {
    hint: `write KIND[=VALUE]@SELECTOR, KIND one of ${FAULT_KINDS.join(", ")}; SELECTOR all | every:N | from:I | at:I,J`,
  });
}

function nonNegInt(spec: string, text: string, what: string): number {
  if (!/^\d+$/.test(text)) bad(spec, `${what} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

export function parseSelector(spec: string, text: string): RequestSelector {
  if (text === "all") return { type: "all" };
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? "" : text.slice(colon + 1);
  if (name === "every") {
    const n = nonNegInt(spec, arg, "every:N");
    if (n < 1) bad(spec, "every:N needs N >= 1");
    return { type: "every", n };
  }
  if (name === "from") return { type: "from", index: nonNegInt(spec, arg, "from:I") };
  if (name === "at") return { type: "at", indices: arg.split(",").map((s) => nonNegInt(spec, s.trim(), "at:I")) };
  return bad(spec, `unknown selector "${text}"`);
}

/** Parse `KIND[=VALUE]@SELECTOR` (the selector is after the last `@`, so a status body may contain `@`). */
export function parseFault(spec: string): FaultSpec {
  const at = spec.lastIndexOf("@");
  if (at < 0) bad(spec, "missing @SELECTOR");
  const select = parseSelector(spec, spec.slice(at + 1).trim());
  const head = spec.slice(0, at);
  const eq = head.indexOf("=");
  const kind = (eq < 0 ? head : head.slice(0, eq)).trim() as FaultKind;
  if (!FAULT_KINDS.includes(kind)) bad(spec, `unknown kind "${kind}"`);
  if (eq < 0) return { kind, select };
  let valueText = head.slice(eq + 1);
  let body: string | undefined;
  if (kind === "status") {
    const colon = valueText.indexOf(":");
    if (colon >= 0) {
      body = valueText.slice(colon + 1);
      valueText = valueText.slice(0, colon);
    }
  }
  const value = nonNegInt(spec, valueText.trim(), "VALUE");
  if (kind === "status" && (value < 100 || value > 599)) bad(spec, "status code must be in [100, 599]");
  return body === undefined ? { kind, select, value } : { kind, select, value, body };
}

export function formatSelector(selector: RequestSelector): string {
  switch (selector.type) {
    case "all":
      return "all";
    case "every":
      return `every:${selector.n}`;
    case "from":
      return `from:${selector.index}`;
    case "at":
      return `at:${selector.indices.join(",")}`;
  }
}

/** Inverse of parseFault (for passing faults to a child process as flags). */
export function formatFault(fault: FaultSpec): string {
  let head: string = fault.kind;
  if (fault.value !== undefined || fault.body !== undefined) head += `=${faultValue(fault)}`;
  if (fault.body !== undefined) head += `:${fault.body}`;
  return `${head}@${formatSelector(fault.select)}`;
}
