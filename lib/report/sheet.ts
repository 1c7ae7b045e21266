/** The contact sheet: a tile per row, DONE ones with a small rendition embedded as thumbnail. */
import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import { mapPool } from '../async/pool.ts';
import { contentTypeOf } from '../imaging/content-types.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import type { CollectOptions, PendingImages } from './collect-options.ts';
import type { ReportImage } from './data.ts';
import type { RowTally } from './row-tally.ts';

/** Thumbnails come from the smallest rendition at least this wide. */
const THUMBNAIL_MIN_WIDTH = 160;
/** A rendition bigger than this is not embedded (the page would grow too much). */
const THUMBNAIL_MAX_BYTES = 256 * 1024;
const FORMAT_PREFERENCE = ['webp', 'jpeg', 'png', 'avif', 'gif'];
function text(analysis: ImageRow['analysis'], name: string): string | undefined {
  const value = analysis?.[name];
  return typeof value === 'string' ? value : undefined;
}

export async function thumbnail(ctx: OperatorContext, row: ImageRow): Promise<string | undefined> {
  const usable = (row.renditions ?? []).filter(
    (r) => r.bytes <= THUMBNAIL_MAX_BYTES && contentTypeOf(r.format),
  );
  const byPreference = (a: RenditionRecord, b: RenditionRecord) =>
    FORMAT_PREFERENCE.indexOf(a.format) - FORMAT_PREFERENCE.indexOf(b.format);
  // The smallest wide enough; for a small source (never enlarged), its largest rendition.
  const wide = usable
    .filter((r) => r.width >= THUMBNAIL_MIN_WIDTH)
    .sort((a, b) => a.width - b.width || byPreference(a, b));
  const pick = wide[0] ?? [...usable].sort((a, b) => b.width - a.width || byPreference(a, b))[0];
  if (!pick) return undefined;
  try {
    const bytes = await ctx.store.getBytes(
      { bucket: ctx.resources.renditionsBucket, key: pick.key },
      THUMBNAIL_MAX_BYTES,
    );
    return `data:${contentTypeOf(pick.format)};base64,${bytes.toString('base64')}`;
  } catch {
    // A missing rendition shows as its placeholder; the audit is what reports it.
    return undefined;
  }
}

export function reportImage(row: ImageRow): ReportImage {
  return {
    key: row.key,
    status: row.status,
    width: row.width,
    height: row.height,
    format: row.format,
    bytes: row.bytes,
    placeholder: text(row.analysis, 'placeholder'),
    dominantColour: text(row.analysis, 'dominantColour'),
    reason: row.status === 'REJECTED' ? row.reason : row.lastError?.code,
    message: row.status === 'REJECTED' ? row.message : row.lastError?.message,
  };
}

/** The sheet's tiles, with thumbnails for the first `maxThumbnails` DONE images. */
export async function sheetImages(
  ctx: OperatorContext,
  options: CollectOptions,
  tally: RowTally,
  maxImages: number,
): Promise<ReportImage[]> {
  const pending: PendingImages = options.pending ?? { count: 0, examples: [] };
  const maxThumbnails = options.maxThumbnails ?? 200;
  const shown = tally.sheet.sorted();
  const images: ReportImage[] = await mapPool(shown, 8, async ({ row }, i) => {
    const image = reportImage(row);
    if (row.status !== 'DONE' || i >= maxThumbnails) return image;
    const thumb = await thumbnail(ctx, row);
    return thumb ? { ...image, thumbnail: thumb } : image;
  });
  const room = Math.max(0, Math.min(maxImages - images.length, pending.count));
  for (const key of pending.examples.slice(0, room)) images.push({ key, status: 'PENDING' });
  return images;
}
