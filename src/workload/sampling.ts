/**
 * Seeded sampling of dataset records: shuffles, a streaming reservoir (keeps
 * memory at the sample size however large the file), and vLLM-style
 * oversampling with replacement when a dataset is smaller than asked.
 */
import { createRng, type Rng } from "../base/rng.ts";

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
    note: oversampleNote(have, count, what),
  };
}

/** The note for a dataset of `have` usable prompts asked for `count` requests, or undefined when it has enough. */
export function oversampleNote(have: number, count: number, what: string): string | undefined {
  if (have >= count) return undefined;
  return `${what} has ${have} usable prompts, fewer than the ${count} requested: oversampled ${count - have} with replacement`;
}

/**
 * Which of `have` sampled records request g uses: record g while the sample
 * lasts, then one picked at random with replacement (vLLM's oversampling),
 * from request g's own generator so any request can be built first. Counts
 * what it picked, for the note after the run.
 */
export class Oversampler {
  private built = 0;
  private oversampled = 0;

  constructor(
    private readonly seed: number,
    private readonly what: string,
  ) {}

  pick(g: number, have: number): number {
    this.built++;
    if (g < have) return g;
    this.oversampled++;
    return createRng(this.seed, "oversampling", g).int(0, have - 1);
  }

  /** Said after the run: how many of the requests built reused a record (a time-bound run's count is not known before). */
  notes(have: number): string[] {
    if (this.oversampled === 0) return [];
    return [`${this.what} has ${have} usable prompts, fewer than the ${this.built} requests built: ${this.oversampled} were oversampled with replacement`];
  }
}

/**
 * The `capacity` items with the smallest keys, for a streamed seeded shuffle:
 * give every item a random key, and the smallest keys in order are the first
 * items of a uniformly random permutation, while memory holds only
 * `capacity` items (a max-heap on the key).
 */
export class SmallestKeys<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];
  /** Items offered so far. */
  offered = 0;

  constructor(private readonly capacity: number) {}

  offer(key: number, item: T): void {
    this.offered++;
    if (this.capacity <= 0) return;
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.items.push(item);
      this.siftUp(this.keys.length - 1);
    } else if (key < this.keys[0]) {
      this.keys[0] = key;
      this.items[0] = item;
      this.siftDown(0);
    }
  }

  /** Kept items, smallest key first. */
  sorted(): T[] {
    return this.keys
      .map((key, i) => ({ key, item: this.items[i] }))
      .sort((a, b) => a.key - b.key)
      .map((e) => e.item);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent] >= this.keys[i]) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < n && this.keys[l] > this.keys[largest]) largest = l;
      if (r < n && this.keys[r] > this.keys[largest]) largest = r;
      if (largest === i) return;
      this.swap(i, largest);
      i = largest;
    }
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]];
    [this.items[a], this.items[b]] = [this.items[b], this.items[a]];
  }
}
