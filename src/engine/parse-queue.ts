/**
 * Stream payloads are parsed after the reads, not inside them.
 *
 * A read's clock is taken when its callback starts, so a read late in a
 * burst is stamped after every callback before it. Parsing (JSON.parse and
 * the backend's checks, ~3 µs a message) was the one part of a callback a
 * bare client does not pay (docs/performance.md, "the parse is the whole
 * gap"). Here a read only frames its events and queues them with its clock;
 * the parse runs from setImmediate in slices of at most PARSE_SLICE_MS, and
 * the runtime polls its sockets between slices, so a burst's later reads are
 * stamped without waiting for the earlier ones' parses. The CPU is the same;
 * only the order changes. A request that ends drains its own queue first
 * (TimedRequest), so no record waits for a slice.
 */
import { noteRead } from "./read-stalls.ts";

/** A request with payloads read but not yet parsed. */
export interface DeferredParse {
  /** Parse everything queued, in the order read. */
  drainPending(): void;
}

/** Parse time per slice before the loop gets to poll its sockets again. */
export const PARSE_SLICE_MS = 0.25;

/** Requests waiting for a slice, first queued first; each at most once (queued when its first unparsed payload comes). */
let waiting: DeferredParse[] = [];
let scheduled = false;

/** Queue `request` for the next slice (once until it is drained: the caller checks). */
export function queueParse(request: DeferredParse): void {
  waiting.push(request);
  if (!scheduled) {
    scheduled = true;
    setImmediate(parseSlice);
  }
}

function parseSlice(): void {
  scheduled = false;
  const batch = waiting;
  waiting = [];
  const start = performance.now();
  let i = 0;
  while (i < batch.length) {
    batch[i++]!.drainPending();
    if ((i & 7) === 0 && performance.now() - start > PARSE_SLICE_MS) break;
  }
  // The rest goes first in the next slice, before anything queued since.
  if (i < batch.length) {
    waiting = i === 0 ? batch : batch.slice(i).concat(waiting);
    scheduled = true;
    setImmediate(parseSlice);
  }
  // A slice holds the loop as a read callback does: it counts as one for vbench's read stalls.
  noteRead(performance.now() - start);
}
