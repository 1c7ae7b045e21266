/**
 * `npm run bench -- duplicates`: the time to group N synthetic perceptual hashes (default
 * 100,000; PIXELMILL_BENCH_DUPLICATES_MAX=1000000 adds that size) with the multi-index Hamming
 * index (lib/duplicates), against the all-pairs comparison in the same run (a tight loop over
 * the same typed arrays, with the same union-find), printed as a ratio; both must find the same
 * groups. At the default distance (8), and at 10 for 100,000 (the index's time grows with it). Past 100,000 the all-pairs time is extrapolated (it grows as n²), not measured. A tenth
 * of the hashes are planted copies of others with 0–8 bits flipped (what resized, recompressed
 * or lightly edited copies move, measured on the corpus: duplicates-threshold.ts, which runs too
 * when the corpus is present).
 */
import { DEFAULT_DISTANCE, groupDuplicates } from '../lib/duplicates/group.ts';
import { popcount32 } from '../lib/duplicates/hamming-index.ts';
import { HashList } from '../lib/duplicates/hash-list.ts';
import { UnionFind } from '../lib/duplicates/union-find.ts';
import { seededUint32 } from '../test/helpers/seeded-random.ts';
import { type Row, table } from './lib/report.ts';

/** All pairs are measured up to this many hashes; past it, extrapolated. */
const BRUTE_MAX = 100_000;

/** `count` hashes: 90% uniform, 10% copies of an earlier one with 0–8 bits flipped. */
function syntheticHashes(count: number): HashList {
  const next = seededUint32(count);
  const list = new HashList();
  for (let i = 0; i < count; i++) {
    let hi = next();
    let lo = next();
    if (i > 0 && next() % 10 === 0) {
      const of = next() % i;
      hi = list.hi[of] as number;
      lo = list.lo[of] as number;
      for (let f = next() % 9; f > 0; f--) {
        const bit = next() % 64;
        if (bit < 32) hi = (hi ^ (1 << bit)) >>> 0;
        else lo = (lo ^ (1 << (bit - 32))) >>> 0;
      }
    }
    const phash = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
    list.add({ id: `uploads/photos/${i}.jpg\u0000v#${i}#c#bench`, phash });
  }
  return list;
}

/** The baseline: every pair compared once; returns the pairs within `distance` and the groups. */
function allPairs(list: HashList, distance: number): { pairs: number; groups: number } {
  const { hi, lo, count } = list;
  const sets = new UnionFind(count);
  let pairs = 0;
  for (let a = 0; a < count; a++) {
    const ha = hi[a] as number;
    const la = lo[a] as number;
    for (let b = a + 1; b < count; b++) {
      const d =
        popcount32((ha ^ (hi[b] as number)) >>> 0) + popcount32((la ^ (lo[b] as number)) >>> 0);
      if (d <= distance) {
        pairs++;
        sets.union(a, b);
      }
    }
  }
  let groups = 0;
  for (let i = 0; i < count; i++) if (sets.find(i) === i && sets.sizeOf(i) > 1) groups++;
  return { pairs, groups };
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/**
 * Each size at the default distance, the all-pairs baseline measured up to BRUTE_MAX and checked
 * to find the same groups; 100,000 also at 10 (its baseline the same loop: its time does not
 * depend on the distance).
 */
export async function benchDuplicates(sizes: readonly number[]) {
  const rows: Row[] = [];
  const data: Record<string, unknown>[] = [];
  let bruteRate: number | undefined;
  const runs = sizes.flatMap((n) =>
    n === 100_000
      ? [
          { n, distance: DEFAULT_DISTANCE },
          { n, distance: 10 },
        ]
      : [{ n, distance: DEFAULT_DISTANCE }],
  );
  for (const { n, distance } of runs) {
    const list = syntheticHashes(n);
    const heapBefore = process.memoryUsage().heapUsed;
    let t = process.hrtime.bigint();
    const grouping = groupDuplicates(list, distance);
    const indexSeconds = seconds(t);
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    let bruteSeconds: number;
    let measured = false;
    if (n <= BRUTE_MAX && distance === DEFAULT_DISTANCE) {
      t = process.hrtime.bigint();
      const brute = allPairs(list, distance);
      bruteSeconds = seconds(t);
      measured = true;
      bruteRate = bruteSeconds / (n * n);
      if (brute.groups !== grouping.groups.length)
        throw new Error(
          `all pairs found ${brute.groups} groups, the index ${grouping.groups.length}`,
        );
    } else {
      bruteSeconds = (bruteRate ?? 0) * n * n;
    }
    const values = {
      hashes: n.toLocaleString('en-US'),
      groups: grouping.groups.length.toLocaleString('en-US'),
      'in groups': grouping.imagesInGroups.toLocaleString('en-US'),
      'index s': indexSeconds.toFixed(2),
      'all pairs s': `${bruteSeconds.toFixed(1)}${measured ? '' : ' (extrapolated)'}`,
      'all pairs / index': `${(bruteSeconds / indexSeconds).toFixed(0)}×`,
      'heap after grouping MB': heapMb.toFixed(0),
    };
    rows.push({ name: `distance ≤ ${distance}`, values });
    data.push({
      n,
      distance,
      indexSeconds,
      bruteSeconds,
      measured,
      groups: grouping.groups.length,
    });
  }
  return {
    markdown: table('Near-duplicate grouping: multi-index hashing vs all pairs', rows),
    data,
  };
}
