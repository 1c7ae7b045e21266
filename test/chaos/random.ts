/** Seeded randomness, so a failing chaos run can be replayed with the seed it prints. */
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

/** PIXELMILL_CHAOS_SEED when replaying a run, else a fresh one. */
export function chaosSeed(): number {
  const fixed = Number(process.env.PIXELMILL_CHAOS_SEED);
  return Number.isInteger(fixed) ? fixed : Math.floor(Math.random() * 2 ** 31);
}
