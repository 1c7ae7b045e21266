/** Seeded randomness, so a failing chaos run can be replayed with the seed it prints. */
export { seededRandom } from '../../cli/fault-injection.ts';

/** PIXELMILL_CHAOS_SEED when replaying a run, else a fresh one. */
export function chaosSeed(): number {
  const fixed = Number(process.env.PIXELMILL_CHAOS_SEED);
  return Number.isInteger(fixed) ? fixed : Math.floor(Math.random() * 2 ** 31);
}
