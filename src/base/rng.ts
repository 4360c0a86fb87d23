/**
 * Seeded pseudo-random numbers. Everything random in a run (arrival gaps,
 * prompt tokens, lengths) flows from one seed through these generators, so the
 * same seed gives byte-identical requests in the same order.
 *
 * The generator is xoshiro128** (32-bit state words, fast in JS, good
 * statistical quality); seeds are expanded with splitmix32.
 */

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Standard normal N(0, 1) (Marsaglia polar method). */
  normal(): number;
  /** Gamma(shape, scale) (Marsaglia–Tsang; shape < 1 by the boost trick). */
  gamma(shape: number, scale: number): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** murmur3's 32-bit finalizer: a bijection, so distinct inputs never collide. */
function fmix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A generator for `seed` and a named stream, so independent parts of a run
 * (schedule, prompts, lengths) do not shift each other when one draws more.
 * With `index`, one generator per item of the stream (request g's prompt):
 * item g's draws depend on the seed and g only, so any request can be built
 * without building the ones before it, and two indices below 2^32 never
 * share a generator.
 */
export function createRng(seed: number, stream = "", index?: number): Rng {
  let mixed = Math.floor(seed) >>> 0;
  for (let i = 0; i < stream.length; i++) mixed = Math.imul(mixed ^ stream.charCodeAt(i), 0x01000193) >>> 0;
  const perIndex = index === undefined ? 0 : fmix32((index + 0x632be5ab) >>> 0);
  const init = splitmix32(mixed ^ Math.floor(seed / 0x100000000) ^ perIndex);
  let s0 = init(), s1 = init(), s2 = init(), s3 = init();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  // 53-bit float from two draws, as Math.random's precision.
  const next = (): number => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992;

  let spareNormal: number | null = null;
  const normal = (): number => {
    if (spareNormal !== null) {
      const v = spareNormal;
      spareNormal = null;
      return v;
    }
    let u: number, v: number, s: number;
    do {
      u = next() * 2 - 1;
      v = next() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    spareNormal = v * m;
    return u * m;
  };

  const gamma = (shape: number, scale: number): number => {
    if (shape < 1) {
      // Gamma(a) = Gamma(a + 1) · U^(1/a)
      const u = next();
      return gamma(shape + 1, scale) * Math.pow(u === 0 ? Number.MIN_VALUE : u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  };

  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal,
    gamma,
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
