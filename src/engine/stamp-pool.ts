/**
 * Stamp arrays of finished requests, reused by new ones (./request.ts). Each
 * request needs room for every token message (output tokens + 2) before the
 * first arrives; a new 2 KiB array per request was 0.8–1.8 µs (zeroing it)
 * and 8 MiB of garbage per 4096 requests, and the record keeps a copy of just
 * the stamps it used anyway. Per thread (each worker has its own module).
 *
 * Sizes are powers of two, so requests of different output lengths share a
 * handful of classes: the arrays of a class are never more than the most
 * requests of that class in flight at once, which keeps what the pool holds
 * within what the run itself needed at its peak (with one class per exact
 * length, random lengths would each keep their own spares).
 */
const stampPool = new Map<number, Float64Array[]>();

/** The class of a request needing room for `needed` stamps: the next power of two, at least 4. */
export function stampCapacity(needed: number): number {
  let capacity = 4;
  while (capacity < needed) capacity *= 2;
  return capacity;
}

/** An array with room for `needed` stamps (its contents are stale: the caller writes before it reads). */
export function takeStamps(needed: number): Float64Array {
  const capacity = stampCapacity(needed);
  return stampPool.get(capacity)?.pop() ?? new Float64Array(capacity);
}

/** The request is finished: nothing is stamped into `stamps` again. */
export function giveStamps(stamps: Float64Array): void {
  let free = stampPool.get(stamps.length);
  if (!free) stampPool.set(stamps.length, (free = []));
  free.push(stamps);
}

