/**
 * Seeded sampling of dataset records: shuffles, a streaming reservoir (keeps
 * memory at the sample size however large the file), and vLLM-style
 * oversampling with replacement when a dataset is smaller than asked.
 */
import type { Rng } from "../core/rng.ts";

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** Uniform sample of `size` items from a stream (Algorithm R); order is not random until shuffled. */
export class Reservoir<T> {
  readonly items: T[] = [];
  /** Items offered so far. */
  seen = 0;

  constructor(
    private readonly rng: Rng,
    private readonly size: number,
  ) {}

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.size) {
      this.items.push(item);
      return;
    }
    const j = this.rng.int(0, this.seen - 1);
    if (j < this.size) this.items[j] = item;
  }
}

/**
 * `items` padded to `count` with random picks (with replacement) from
 * themselves, as vLLM's oversampling does. Returns a note when it padded.
 */
export function oversample<T>(rng: Rng, items: T[], count: number, what: string): { items: T[]; note?: string } {
  if (items.length >= count || items.length === 0) return { items };
  const have = items.length;
  const out = items.slice();
  while (out.length < count) out.push(items[rng.int(0, have - 1)]);
  return {
    items: out,
    note: `${what} has ${have} usable prompts, fewer than the ${count} requested: oversampled ${count - have} with replacement`,
  };
}
