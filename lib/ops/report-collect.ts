/**
 * Gathers what `pixelmill report` shows (ReportData) from the pipeline itself: the metadata
 * table (outcomes, analysis, rendition keys, processing times), the renditions bucket (small
 * renditions embedded as thumbnails), the DLQ (peeked, then released) and, for the timeline,
 * either the samples a run took of its queue or, without them, upload and finish times.
 *
 * The table is read whole (like `status` and the audit): fine for a run or a batch of a few
 * hundred thousand images; the page itself stays small because the contact sheet is capped.
 */
import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import { isVersionRow } from '../../events/image-row.ts';
import { isRejectionReason, rejectionReasons } from '../../events/rejection-reasons.ts';
import { peekDeadLetters } from './dead-letters.ts';
import type { OperatorContext } from './operator-context.ts';
import { mapPool } from './pool.ts';
import type {
  RejectionGroup,
  ReportData,
  ReportDeadLetter,
  ReportImage,
  ReportSummary,
  SlowImage,
  TimelinePoint,
} from './report-data.ts';

export interface CollectOptions {
  readonly title: string;
  readonly target: string;
  /** Only these uploads keys (a run's own images); by default every row. */
  readonly keys?: ReadonlySet<string> | undefined;
  /** Only keys under this prefix. */
  readonly prefix?: string | undefined;
  /** Samples taken during a run; without them the timeline is derived. */
  readonly timeline?: readonly TimelinePoint[] | undefined;
  /** The run's wall time. */
  readonly seconds?: number | undefined;
  readonly maxImages?: number | undefined;
  readonly maxThumbnails?: number | undefined;
  readonly now?: Date | undefined;
}

/** Thumbnails come from the smallest rendition at least this wide. */
const THUMBNAIL_MIN_WIDTH = 160;
/** A rendition bigger than this is not embedded (the page would grow too much). */
const THUMBNAIL_MAX_BYTES = 256 * 1024;
const FORMAT_PREFERENCE = ['webp', 'jpeg', 'png', 'avif', 'gif'];
const MIME: Record<string, string> = {
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
  avif: 'image/avif',
  gif: 'image/gif',
};
const TIMELINE_POINTS = 120;
const SLOWEST = 10;
const EXAMPLES = 3;

const ROW_ATTRIBUTES = [
  'pk',
  'sk',
  'key',
  'version',
  'status',
  'configHash',
  'createdAt',
  'updatedAt',
  'width',
  'height',
  'format',
  'bytes',
  'renditions',
  'analysis',
  'processingMs',
  'reason',
  'message',
  'lastError',
];

async function readRows(ctx: OperatorContext, options: CollectOptions): Promise<ImageRow[]> {
  const newest = new Map<string, ImageRow>();
  for await (const row of ctx.table.scan({ attributes: ROW_ATTRIBUTES })) {
    if (!isVersionRow(row)) continue;
    if (ctx.configHash && row.configHash !== ctx.configHash) continue;
    if (options.keys && !options.keys.has(row.key)) continue;
    if (options.prefix && !row.key.startsWith(options.prefix)) continue;
    const id = `${row.pk}\u0000${row.version}`;
    const known = newest.get(id);
    if (!known || known.updatedAt < row.updatedAt) newest.set(id, row);
  }
  return [...newest.values()];
}

const ORDER: Record<string, number> = { DONE: 0, REJECTED: 1, FAILED: 2 };

function text(analysis: ImageRow['analysis'], name: string): string | undefined {
  const value = analysis?.[name];
  return typeof value === 'string' ? value : undefined;
}

async function thumbnail(ctx: OperatorContext, row: ImageRow): Promise<string | undefined> {
  const usable = (row.renditions ?? []).filter(
    (r) => r.bytes <= THUMBNAIL_MAX_BYTES && MIME[r.format],
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
    return `data:${MIME[pick.format]};base64,${bytes.toString('base64')}`;
  } catch {
    // A missing rendition shows as its placeholder; the audit is what reports it.
    return undefined;
  }
}

function reportImage(row: ImageRow): ReportImage {
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

function rejectionGroups(rows: readonly ImageRow[]): RejectionGroup[] {
  const groups = new Map<string, ImageRow[]>();
  for (const row of rows) {
    if (row.status !== 'REJECTED') continue;
    const reason = row.reason ?? 'unknown';
    groups.set(reason, [...(groups.get(reason) ?? []), row]);
  }
  return [...groups.entries()]
    .map(([reason, list]) => ({
      reason,
      description: isRejectionReason(reason) ? rejectionReasons[reason] : 'not a known reason code',
      count: list.length,
      examples: list.slice(0, EXAMPLES).map((r) => ({ key: r.key, message: r.message ?? '' })),
    }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

function slowest(rows: readonly ImageRow[]): SlowImage[] {
  return rows
    .filter((r) => r.status === 'DONE' && typeof r.processingMs === 'number')
    .sort((a, b) => (b.processingMs ?? 0) - (a.processingMs ?? 0))
    .slice(0, SLOWEST)
    .map((r) => ({
      key: r.key,
      ms: r.processingMs ?? 0,
      width: r.width,
      height: r.height,
      format: r.format,
      bytes: r.bytes,
    }));
}

/**
 * The backlog over time without samples: an image waits from its upload until its row is
 * finished. Upload times come from the uploads bucket's listing.
 */
async function derivedTimeline(
  ctx: OperatorContext,
  rows: readonly ImageRow[],
  options: CollectOptions,
  now: number,
): Promise<TimelinePoint[]> {
  const arrivals: number[] = [];
  const prefix = options.prefix ?? ctx.resources.uploadsPrefix;
  for await (const o of ctx.store.listVersions(ctx.resources.uploadsBucket, prefix)) {
    if (options.keys && !options.keys.has(o.key)) continue;
    if (o.lastModified) arrivals.push(o.lastModified.getTime());
  }
  const finishes = rows
    .filter((r) => r.status === 'DONE' || r.status === 'REJECTED')
    .map((r) => new Date(r.updatedAt).getTime());
  if (arrivals.length === 0 && finishes.length === 0) return [];
  arrivals.sort((a, b) => a - b);
  finishes.sort((a, b) => a - b);
  const start = Math.min(arrivals[0] ?? now, finishes[0] ?? now);
  const end = Math.max(
    start + 1000,
    finishes.length === rows.length ? (finishes.at(-1) ?? now) : now,
  );
  const step = (end - start) / (TIMELINE_POINTS - 1);
  const points: TimelinePoint[] = [];
  let a = 0;
  let f = 0;
  for (let i = 0; i < TIMELINE_POINTS; i++) {
    const at = start + step * i;
    while (a < arrivals.length && (arrivals[a] ?? 0) <= at) a++;
    while (f < finishes.length && (finishes[f] ?? 0) <= at) f++;
    points.push({ at: new Date(at).toISOString(), waiting: Math.max(0, a - f), finished: f });
  }
  return points;
}

async function deadLetters(
  ctx: OperatorContext,
  options: CollectOptions,
): Promise<ReportDeadLetter[]> {
  const peeked = await peekDeadLetters(ctx, { holdSeconds: 30 });
  try {
    return peeked.letters
      .filter((l) => !options.keys || (l.item && options.keys.has(l.item.key)))
      .map((l) => ({
        messageId: l.messageId,
        key: l.item?.key,
        reason: l.reason,
        message: l.lastError?.message,
        attempts: l.attempts ?? 0,
        ageSeconds: l.ageSeconds,
      }));
  } finally {
    await peeked.release();
  }
}

export async function collectReportData(
  ctx: OperatorContext,
  options: CollectOptions,
): Promise<ReportData> {
  const now = options.now ?? new Date();
  const rows = await readRows(ctx, options);
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  const withRow = new Set(rows.map((r) => r.key));
  // A run's image without any row yet (its event not taken): pending, like in the manifest.
  const pendingKeys = options.keys ? [...options.keys].filter((k) => !withRow.has(k)) : [];
  const summary: ReportSummary = {
    total: rows.length + pendingKeys.length,
    done: count('DONE'),
    rejected: count('REJECTED'),
    failed: count('FAILED'),
    pending: rows.length - count('DONE') - count('REJECTED') - count('FAILED') + pendingKeys.length,
    seconds: options.seconds,
    imagesPerSecond:
      options.seconds && options.seconds > 0
        ? Math.round(((count('DONE') + count('REJECTED')) / options.seconds) * 100) / 100
        : undefined,
  };

  const ordered = [...rows].sort(
    (a, b) => (ORDER[a.status] ?? 3) - (ORDER[b.status] ?? 3) || a.key.localeCompare(b.key),
  );
  const maxImages = options.maxImages ?? 300;
  const shown = ordered.slice(0, maxImages);
  const maxThumbnails = options.maxThumbnails ?? 200;
  const images: ReportImage[] = await mapPool(shown, 8, async (row, i) => {
    const image = reportImage(row);
    if (row.status !== 'DONE' || i >= maxThumbnails) return image;
    const thumb = await thumbnail(ctx, row);
    return thumb ? { ...image, thumbnail: thumb } : image;
  });
  const room = Math.max(0, maxImages - images.length);
  for (const key of pendingKeys.slice(0, room)) images.push({ key, status: 'PENDING' });

  return {
    title: options.title,
    generatedAt: now.toISOString(),
    target: options.target,
    summary,
    images,
    imagesOmitted: summary.total - images.length,
    timeline: options.timeline ?? (await derivedTimeline(ctx, rows, options, now.getTime())),
    timelineSource: options.timeline ? 'measured' : 'derived',
    rejections: rejectionGroups(rows),
    deadLetters: await deadLetters(ctx, options),
    slowest: slowest(rows),
  };
}
