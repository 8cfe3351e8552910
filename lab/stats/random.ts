// A seeded pseudo-random source for resampling. simple-statistics takes a
// `randomSource` but has no seeded generator; reports must be reproducible from
// their samples, so the bootstrap may not use Math.random.

/** mulberry32: a small 32-bit generator, uniform on [0, 1); plenty for resampling. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
