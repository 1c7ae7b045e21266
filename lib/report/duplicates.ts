/**
 * The report's duplicates section: the groups `pixelmill duplicates` lists (lib/duplicates), their
 * counts, and the largest few as tiles with thumbnails. Reading every DONE row's hashes is one
 * projected scan of the table (bounded memory per image, not per page): the one part of a
 * whole-pipeline report that reads every row, so `report --no-duplicates` can leave it out, and
 * it is left out above REPORT_DUPLICATES_MAX_IMAGES DONE images.
 */

import { mapPool } from '../async/pool.ts';
import { rowId } from '../aws/image-table.ts';
import { findDuplicates } from '../duplicates/listing.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import type { Scope } from './collect-options.ts';
import type { ReportDuplicates } from './data.ts';
import { reportImage, thumbnail } from './sheet.ts';

/** Groups shown as tiles, and tiles per group; the counts cover every group. */
export const REPORT_DUPLICATE_GROUPS = 12;
export const REPORT_IMAGES_PER_GROUP = 6;
/**
 * The most DONE images the section compares (~35 MB and one scan of 100,000 rows): above it, the
 * report stays a page and says to run `pixelmill duplicates`, which is made for any size.
 */
export const REPORT_DUPLICATES_MAX_IMAGES = 100_000;

export async function duplicatesSection(
  ctx: OperatorContext,
  scope: Scope,
  distance: number,
): Promise<ReportDuplicates> {
  const listing = await findDuplicates(ctx, {
    distance,
    inScope: scope.has,
    maxGroups: REPORT_DUPLICATE_GROUPS,
    maxImages: REPORT_IMAGES_PER_GROUP,
  });
  // The shown images' whole rows (renditions for the thumbnail, the placeholder, the colour).
  const keys = listing.groups.flatMap((g) => g.images.map(({ pk, sk }) => ({ pk, sk })));
  const rows = await ctx.table.getMany(keys);
  const groups = await mapPool(listing.groups, 4, async (group) => ({
    kind: group.kind,
    size: group.size,
    images: await mapPool(group.images, 4, async (image) => {
      const row = rows.get(rowId(image));
      const thumb = row ? await thumbnail(ctx, row) : undefined;
      return {
        ...(row ? reportImage(row) : { key: image.key, status: 'DONE' as const }),
        key: image.key,
        ...(thumb ? { thumbnail: thumb } : {}),
        distance: image.distance,
        sameBytesAs: image.sameBytesAs,
      };
    }),
  }));
  return {
    distance: listing.distance,
    images: listing.images,
    exactGroups: listing.exactGroups,
    nearGroups: listing.nearGroups,
    imagesInGroups: listing.imagesInGroups,
    groups,
    groupsOmitted: listing.groupsOmitted,
  };
}
