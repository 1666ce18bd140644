/** Types for prng.mjs (a plain module shared with the benchmarks). */
export function mulberry32(seed: number): () => number;
