/**
 * Groups of duplicates: the connected components of the pairs of images whose perceptual hashes
 * are at most `distance` bits apart (so A ~ B and B ~ C put A, B and C in one group even when A
 * and C are further apart: each member's distance to the group's first says how far). Images
 * with the same bytes (the same SHA-256) have the same perceptual hash, so they always share a
 * group; a group whose members all have the first's bytes is `exact`, any other `near`.
 */
import { distanceAt, forEachNearPair } from './hamming-index.ts';
import type { HashList } from './hash-list.ts';
import { UnionFind } from './union-find.ts';

/**
 * The distance `pixelmill duplicates` and the report use when not told: at least what copies
 * move the hash, well below what different photos do. Measured on the corpus photos
 * (bench/duplicates-threshold.ts): resized and recompressed copies 0–2 bits, WebP re-encodes
 * and 10 % brightening ≤ 4, cropped 3 % a side ≤ 8; two different photos 18 or more (median 32).
 * 8 rather than 10: the index's work at a million hashes grows ~4× from 8 to 10 (more buckets
 * probed per hash, bench/duplicates.ts), for copies no measured kind makes.
 */
export const DEFAULT_DISTANCE = 8;

export interface IndexGroup {
  readonly kind: 'exact' | 'near';
  /** Indexes into the HashList, the group's first (the lowest row id) first. */
  readonly members: readonly number[];
  /** Each member's Hamming distance to the first (0 for the first). */
  readonly distances: readonly number[];
  /** For each member, the position in `members` of the first member with the same bytes (-1: none before it). */
  readonly sameBytesAs: readonly number[];
}

export interface Grouping {
  /** Largest first; ties by the first member's row id. */
  readonly groups: readonly IndexGroup[];
  /** Images considered (those with a perceptual hash). */
  readonly images: number;
  readonly distance: number;
  readonly exactGroups: number;
  readonly nearGroups: number;
  readonly imagesInGroups: number;
  /** Members that are byte-for-byte copies of an earlier member of their group. */
  readonly exactCopies: number;
}

function groupOf(list: HashList, indexes: number[]): IndexGroup {
  indexes.sort((a, b) => (list.id(a) < list.id(b) ? -1 : list.id(a) > list.id(b) ? 1 : 0));
  const first = indexes[0] as number;
  const seen = new Map<string, number>();
  const sameBytesAs: number[] = [];
  const distances: number[] = [];
  indexes.forEach((i, position) => {
    distances.push(distanceAt(list, first, i));
    const sha = list.sha256(i);
    const earlier = sha === undefined ? undefined : seen.get(sha);
    sameBytesAs.push(earlier ?? -1);
    if (sha !== undefined && earlier === undefined) seen.set(sha, position);
  });
  const exact = sameBytesAs.every((s, position) => position === 0 || s === 0);
  return { kind: exact ? 'exact' : 'near', members: indexes, distances, sameBytesAs };
}

/** Every group of two or more images within `distance` of each other (transitively). */
export function groupDuplicates(list: HashList, distance: number): Grouping {
  const sets = new UnionFind(list.count);
  forEachNearPair(list, distance, (a, b) => {
    sets.union(a, b);
  });
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < list.count; i++) {
    if (sets.sizeOf(i) < 2) continue;
    const root = sets.find(i);
    const members = byRoot.get(root);
    if (members) members.push(i);
    else byRoot.set(root, [i]);
  }
  const groups = [...byRoot.values()].map((indexes) => groupOf(list, indexes));
  groups.sort(
    (a, b) =>
      b.members.length - a.members.length ||
      (list.id(a.members[0] as number) < list.id(b.members[0] as number) ? -1 : 1),
  );
  let exactGroups = 0;
  let imagesInGroups = 0;
  let exactCopies = 0;
  for (const g of groups) {
    if (g.kind === 'exact') exactGroups++;
    imagesInGroups += g.members.length;
    exactCopies += g.sameBytesAs.filter((s) => s >= 0).length;
  }
  return {
    groups,
    images: list.count,
    distance,
    exactGroups,
    nearGroups: groups.length - exactGroups,
    imagesInGroups,
    exactCopies,
  };
}
