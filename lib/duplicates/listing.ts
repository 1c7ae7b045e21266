/**
 * The duplicates as a person or a program reads them: each group's images by key and version,
 * with dimensions, size, distance to the group's first and which earlier member has the same
 * bytes. What `pixelmill duplicates` prints and the report shows.
 */
import type { OperatorContext } from '../ops/operator-context.ts';
import { type Grouping, groupDuplicates, type IndexGroup } from './group.ts';
import type { HashList } from './hash-list.ts';
import { readHashes, versionOf } from './read-hashes.ts';

export interface DuplicateImage {
  readonly key: string;
  readonly version: string;
  /** The row's keys in the table (for reading the rest of the row). */
  readonly pk: string;
  readonly sk: string;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly bytes?: number | undefined;
  readonly phash: string;
  /** Hamming distance of its perceptual hash to the group's first image's (0 for the first). */
  readonly distance: number;
  /** The key of an earlier image of the group with the same bytes (SHA-256), if any. */
  readonly sameBytesAs?: string | undefined;
  /** The row the worker linked it to as an exact duplicate (`pk\u0000sk`), when it did. */
  readonly duplicateOf?: string | undefined;
}

export interface DuplicateGroup {
  /** `exact`: every image has the first one's bytes; `near`: at least one differs. */
  readonly kind: 'exact' | 'near';
  /** Images in the group (`images` may list fewer, when capped). */
  readonly size: number;
  readonly images: readonly DuplicateImage[];
}

export interface DuplicatesListing {
  readonly distance: number;
  /** DONE images compared (those with a perceptual hash). */
  readonly images: number;
  /** DONE images with no perceptual hash on their row: not compared. */
  readonly unhashed: number;
  readonly exactGroups: number;
  readonly nearGroups: number;
  readonly imagesInGroups: number;
  readonly exactCopies: number;
  /** Largest first, at most the cap asked for. */
  readonly groups: readonly DuplicateGroup[];
  /** Groups past the cap, not listed. */
  readonly groupsOmitted: number;
}

function imageOf(list: HashList, group: IndexGroup, position: number): DuplicateImage {
  const i = group.members[position] as number;
  const [pk = '', sk = ''] = list.id(i).split('\u0000');
  const same = group.sameBytesAs[position] ?? -1;
  return {
    key: pk.slice(pk.indexOf('/') + 1),
    version: versionOf(sk),
    pk,
    sk,
    width: list.width(i),
    height: list.height(i),
    bytes: list.bytes(i),
    phash: list.phash(i),
    distance: group.distances[position] ?? 0,
    sameBytesAs: same >= 0 ? imageOf(list, group, same).key : undefined,
    duplicateOf: list.duplicateOf(i),
  };
}

/** The grouping made readable: `maxGroups` groups, `maxImages` images listed in each. */
export function listGroups(
  list: HashList,
  grouping: Grouping,
  limits: { maxGroups?: number; maxImages?: number } = {},
): Omit<DuplicatesListing, 'unhashed'> {
  const maxGroups = limits.maxGroups ?? Number.POSITIVE_INFINITY;
  const maxImages = limits.maxImages ?? Number.POSITIVE_INFINITY;
  const shown = grouping.groups.slice(0, maxGroups);
  return {
    distance: grouping.distance,
    images: grouping.images,
    exactGroups: grouping.exactGroups,
    nearGroups: grouping.nearGroups,
    imagesInGroups: grouping.imagesInGroups,
    exactCopies: grouping.exactCopies,
    groups: shown.map((g) => ({
      kind: g.kind,
      size: g.members.length,
      images: g.members.slice(0, maxImages).map((_, position) => imageOf(list, g, position)),
    })),
    groupsOmitted: grouping.groups.length - shown.length,
  };
}

/** Reads the table's DONE images and groups their duplicates (see readHashes, groupDuplicates). */
export async function findDuplicates(
  ctx: OperatorContext,
  options: {
    distance: number;
    inScope?: (key: string) => boolean;
    maxGroups?: number;
    maxImages?: number;
  },
): Promise<DuplicatesListing> {
  const { list, unhashed } = await readHashes(ctx, options.inScope);
  const grouping = groupDuplicates(list, options.distance);
  return { ...listGroups(list, grouping, options), unhashed };
}
