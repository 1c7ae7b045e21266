/**
 * Gathers what `pixelmill report` shows (ReportData) from the pipeline itself: the metadata
 * table (outcomes, analysis, rendition keys, processing times), the renditions bucket (small
 * renditions embedded as thumbnails), the DLQ (peeked, then released) and, for the timeline,
 * either the samples a run took of its queue or, without them, upload and finish times.
 *
 * A report of the whole pipeline reads a bounded amount whatever the table's size: its numbers
 * (by status, by rejection reason with examples, the slowest images, the timeline) come from the
 * counts the table keeps of itself (lib/aws/image-counts.ts), and its contact sheet is a sample:
 * the first rows of a table scan, at most SAMPLE_PAGES pages of `maxImages` items, said so on the
 * page. A report scoped to key prefixes (`--prefix`, a run's inputs) cannot use those counts,
 * which are not kept per prefix: without a run's own tally it scans the table once, tallying
 * each row and dropping it (memory bounded by the page, time growing with the table).
 */

import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import { isVersionRow } from '../../events/image-row.ts';
import { isRejectionReason, rejectionReasons } from '../../events/rejection-reasons.ts';
import { mapPool } from '../async/pool.ts';
import type { CountsReading, MinuteCount } from '../aws/image-counts.ts';
import { TIMELINE_DAYS } from '../aws/image-counts.ts';
import { contentTypeOf } from '../imaging/content-types.ts';
import { peekDeadLetters } from '../ops/dead-letters.ts';
import { KeyPrefixes } from '../ops/key-prefixes.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import { BoundedSelection } from './bounded-selection.ts';
import type {
  RejectionGroup,
  ReportData,
  ReportDeadLetter,
  ReportImage,
  ReportSummary,
  SlowImage,
  TimelinePoint,
} from './data.ts';
import { InstantHistogram } from './instant-histogram.ts';

export interface PendingImages {
  /** How many of the run's images have no row in the metadata table. */
  readonly count: number;
  /** Some of their keys (the contact sheet shows these after the rows, as room allows). */
  readonly examples: readonly string[];
}

export interface CollectOptions {
  readonly title: string;
  readonly target: string;
  /**
   * Only keys under any of these (`[]`: none); by default every key. A run passes one per input:
   * a directory's or archive's root prefix (`uploads/photos/`), or a file's own key. Any number
   * costs one binary search per row; the derived timeline lists each of them (or, past 32, their
   * common prefix) in the uploads bucket.
   */
  readonly prefixes?: readonly string[] | undefined;
  /**
   * The run's images that have no row in the table yet (their event not taken): counted as
   * pending. The run knows them; the collector does not look for them. An image whose row is
   * there but not finished (PROCESSING, RETRYING) is a row: the collector counts it itself, so
   * it must not be in here too.
   */
  readonly pending?: PendingImages | undefined;
  /** Only keys under this prefix (`pixelmill report --prefix`), with any of the above. */
  readonly prefix?: string | undefined;
  /** Samples taken during a run; without them the timeline is derived. */
  readonly timeline?: readonly TimelinePoint[] | undefined;
  /** The run's wall time. */
  readonly seconds?: number | undefined;
  /**
   * A run's own rate (the images it processed over the time it spent on them: manifest.json's);
   * without it, the finished rows over `seconds`.
   */
  readonly imagesPerSecond?: number | undefined;
  readonly maxImages?: number | undefined;
  readonly maxThumbnails?: number | undefined;
  readonly now?: Date | undefined;
}

/** Thumbnails come from the smallest rendition at least this wide. */
const THUMBNAIL_MIN_WIDTH = 160;
/** A rendition bigger than this is not embedded (the page would grow too much). */
const THUMBNAIL_MAX_BYTES = 256 * 1024;
const FORMAT_PREFERENCE = ['webp', 'jpeg', 'png', 'avif', 'gif'];
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

/** Which keys the report is about: `prefix` and `prefixes` together. */
interface Scope {
  readonly has: (key: string) => boolean;
  readonly prefixes: KeyPrefixes | undefined;
}

function scopeOf(options: CollectOptions): Scope {
  const { prefix } = options;
  const prefixes = options.prefixes ? new KeyPrefixes(options.prefixes) : undefined;
  return {
    prefixes,
    has: (key) => (!prefix || key.startsWith(prefix)) && (!prefixes || prefixes.has(key)),
  };
}

/**
 * Every version row that counts, once per object version, in one pass over the table. With a
 * config hash there is one row per (version, config) (its `sk`), so nothing repeats. Without one
 * a version may have a row per config and the newest counts; a scan returns a partition key's
 * rows together (an item collection is stored together, sorted by `sk`: on DynamoDB as in
 * dynalite's LevelDB, whose keys start with the hash key), so only the current key's rows are
 * held — as many as it has versions × configs.
 */
async function* versionRows(ctx: OperatorContext, scope: Scope): AsyncGenerator<ImageRow> {
  let pk: string | undefined;
  const newest = new Map<string, ImageRow>();
  for await (const row of ctx.table.scan({ attributes: ROW_ATTRIBUTES })) {
    if (!isVersionRow(row) || !scope.has(row.key)) continue;
    if (ctx.configHash) {
      if (row.configHash === ctx.configHash) yield row;
      continue;
    }
    if (row.pk !== pk) {
      yield* newest.values();
      newest.clear();
      pk = row.pk;
    }
    const known = newest.get(row.version);
    if (!known || known.updatedAt < row.updatedAt) newest.set(row.version, row);
  }
  yield* newest.values();
}

const ORDER: Record<string, number> = { DONE: 0, REJECTED: 1, FAILED: 2 };
/** `localeCompare` without arguments, made once (it is asked once per row). */
const byKey = new Intl.Collator().compare;

/** A row in the page's order: by status (DONE, REJECTED, FAILED, the rest), key, scan order. */
interface SheetEntry {
  readonly rank: number;
  readonly seq: number;
  readonly row: ImageRow;
}

function sheetOrder(a: SheetEntry, b: SheetEntry): number {
  return a.rank - b.rank || byKey(a.row.key, b.row.key) || a.seq - b.seq;
}

interface SlowEntry {
  readonly seq: number;
  readonly ms: number;
  readonly row: ImageRow;
}

function slowOrder(a: SlowEntry, b: SlowEntry): number {
  return b.ms - a.ms || a.seq - b.seq;
}

/**
 * What the page needs from the rows, gathered one row at a time in memory that does not grow
 * with them: counts; per rejection reason a count and the first EXAMPLES (one entry per distinct
 * reason code: the fixed list, in practice); the SLOWEST DONE images and the first `maxImages`
 * rows in the page's order (bounded selections); finish times binned (InstantHistogram).
 */
export class RowTally {
  rows = 0;
  done = 0;
  rejected = 0;
  failed = 0;
  readonly rejections = new Map<
    string,
    { count: number; examples: { key: string; message: string }[] }
  >();
  readonly slowest = new BoundedSelection<SlowEntry>(SLOWEST, slowOrder);
  readonly sheet: BoundedSelection<SheetEntry>;
  readonly finishes = new InstantHistogram();

  constructor(maxImages: number) {
    this.sheet = new BoundedSelection<SheetEntry>(maxImages, sheetOrder);
  }

  add(row: ImageRow): void {
    const seq = this.rows++;
    if (row.status === 'DONE') this.done++;
    else if (row.status === 'REJECTED') this.rejected++;
    else if (row.status === 'FAILED') this.failed++;
    if (row.status === 'DONE' || row.status === 'REJECTED') {
      this.finishes.add(new Date(row.updatedAt).getTime());
    }
    if (row.status === 'REJECTED') {
      const reason = row.reason ?? 'unknown';
      let group = this.rejections.get(reason);
      if (!group) {
        group = { count: 0, examples: [] };
        this.rejections.set(reason, group);
      }
      group.count++;
      if (group.examples.length < EXAMPLES) {
        group.examples.push({ key: row.key, message: row.message ?? '' });
      }
    }
    if (row.status === 'DONE' && typeof row.processingMs === 'number') {
      this.slowest.offer({ seq, ms: row.processingMs, row });
    }
    this.sheet.offer({ rank: ORDER[row.status] ?? 3, seq, row });
  }

  rejectionGroups(): RejectionGroup[] {
    return [...this.rejections.entries()]
      .map(([reason, group]) => ({
        reason,
        description: isRejectionReason(reason)
          ? rejectionReasons[reason]
          : 'not a known reason code',
        count: group.count,
        examples: group.examples,
      }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }

  slowImages(): SlowImage[] {
    return this.slowest.sorted().map(({ ms, row }) => ({
      key: row.key,
      ms,
      width: row.width,
      height: row.height,
      format: row.format,
      bytes: row.bytes,
    }));
  }
}

function text(analysis: ImageRow['analysis'], name: string): string | undefined {
  const value = analysis?.[name];
  return typeof value === 'string' ? value : undefined;
}

async function thumbnail(ctx: OperatorContext, row: ImageRow): Promise<string | undefined> {
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

/** Past this many roots the derived timeline lists their common prefix once and filters. */
const LISTINGS = 32;

/** Where upload times are listed: one listing per root of the scope (or their common prefix). */
function listings(ctx: OperatorContext, options: CollectOptions, scope: Scope): string[] {
  const prefix = options.prefix ?? ctx.resources.uploadsPrefix;
  if (!scope.prefixes) return [prefix];
  const roots = scope.prefixes.within(prefix);
  return roots.roots.length > LISTINGS ? [roots.common()] : [...roots.roots];
}

/**
 * The backlog over time without samples: an image waits from its upload until its row is
 * finished. Upload times come from the uploads bucket's listing. Both series are binned
 * (InstantHistogram: fixed memory, the x axis exact from the first to the last instant, each
 * count short by at most one bin of ≤ 1/2048 of the range — a fraction of one of the 120 steps).
 */
async function derivedTimeline(
  ctx: OperatorContext,
  tally: RowTally,
  options: CollectOptions,
  scope: Scope,
  now: number,
): Promise<TimelinePoint[]> {
  const arrivals = new InstantHistogram();
  for (const prefix of listings(ctx, options, scope)) {
    for await (const o of ctx.store.listVersions(ctx.resources.uploadsBucket, prefix)) {
      if (!scope.has(o.key)) continue;
      if (o.lastModified) arrivals.add(o.lastModified.getTime());
    }
  }
  const { finishes } = tally;
  if (arrivals.count === 0 && finishes.count === 0) return [];
  const start = Math.min(arrivals.min ?? now, finishes.min ?? now);
  const end = Math.max(start + 1000, finishes.count === tally.rows ? (finishes.max ?? now) : now);
  const step = (end - start) / (TIMELINE_POINTS - 1);
  const at = Array.from({ length: TIMELINE_POINTS }, (_, i) => start + step * i);
  const arrived = arrivals.countsAt(at);
  const finished = finishes.countsAt(at);
  return at.map((t, i) => {
    const f = finished[i] ?? 0;
    return {
      at: new Date(t).toISOString(),
      waiting: Math.max(0, (arrived[i] ?? 0) - f),
      finished: f,
    };
  });
}

async function deadLetters(
  ctx: OperatorContext,
  options: CollectOptions,
  scope: Scope,
): Promise<ReportDeadLetter[]> {
  // A run's report shows its own letters; `pixelmill report` (with or without --prefix) all.
  const filtered = options.prefixes !== undefined;
  const peeked = await peekDeadLetters(ctx, { holdSeconds: 30 });
  try {
    return peeked.letters
      .filter((l) => !filtered || (l.item !== undefined && scope.has(l.item.key)))
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

/** The images a report shows when not told otherwise. */
export const REPORT_MAX_IMAGES = 300;
/** A whole-pipeline report reads at most this many Scan pages (of `maxImages` items) for its sheet. */
export const SAMPLE_PAGES = 3;

/** The first version rows a bounded scan returns, into a tally (for its sheet only). */
async function sampleRows(ctx: OperatorContext, maxImages: number): Promise<RowTally> {
  const tally = new RowTally(maxImages);
  const pageSize = Math.max(25, maxImages);
  let read = 0;
  for await (const row of ctx.table.scan({ attributes: ROW_ATTRIBUTES, pageSize })) {
    if (++read > pageSize * SAMPLE_PAGES) break;
    if (!isVersionRow(row)) continue;
    if (ctx.configHash && row.configHash !== ctx.configHash) continue;
    tally.add(row);
    if (tally.rows >= maxImages) break;
  }
  return tally;
}

function groupsOf(counts: CountsReading): RejectionGroup[] {
  return [...counts.rejected.entries()]
    .filter(([, r]) => r.n > 0)
    .map(([reason, r]) => ({
      reason,
      description: isRejectionReason(reason) ? rejectionReasons[reason] : 'not a known reason code',
      count: r.n,
      examples: r.examples,
    }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/**
 * The timeline from the per-minute counts: images finished so far and images taken but not
 * finished, at up to TIMELINE_POINTS instants. Minutes before the window (expired, or older than
 * TIMELINE_DAYS) are carried in as an offset, so the last point agrees with the totals.
 */
export function countedTimeline(
  minutes: readonly MinuteCount[],
  totals: { readonly rows: number; readonly finished: number },
): TimelinePoint[] {
  const first = minutes[0];
  const last = minutes.at(-1);
  if (!first || !last) return [];
  const start = Date.parse(`${first.minute}:00Z`);
  const end = Date.parse(`${last.minute}:00Z`) + 60_000;
  let started = totals.rows - minutes.reduce((n, m) => n + m.started, 0);
  let finished = totals.finished - minutes.reduce((n, m) => n + m.finished, 0);
  const cumulative: { t: number; started: number; finished: number }[] = [
    { t: start, started, finished },
  ];
  for (const m of minutes) {
    started += m.started;
    finished += m.finished;
    cumulative.push({ t: Date.parse(`${m.minute}:00Z`) + 60_000, started, finished });
  }
  const step = Math.max(1, Math.ceil(cumulative.length / TIMELINE_POINTS));
  const picked = cumulative.filter((_, i) => i % step === 0 || i === cumulative.length - 1);
  return picked
    .filter((p) => p.t <= end)
    .map((p) => ({
      at: new Date(p.t).toISOString(),
      waiting: Math.max(0, p.started - p.finished),
      finished: Math.max(0, p.finished),
    }));
}

/**
 * A report of the whole pipeline: numbers from the table's counts, a sampled sheet. Undefined
 * when the table has rows but no counts at all: the caller counts the rows itself (one scan).
 */
async function collectFromCounts(
  ctx: OperatorContext,
  options: CollectOptions,
  scope: Scope,
  now: Date,
): Promise<ReportData | undefined> {
  const maxImages = options.maxImages ?? REPORT_MAX_IMAGES;
  const [counts, minutes, sample] = await Promise.all([
    ctx.table.counts.read(ctx.configHash, now),
    options.timeline
      ? Promise.resolve([])
      : ctx.table.counts.minutes(
          ctx.configHash,
          new Date(now.getTime() - TIMELINE_DAYS * 86_400_000),
        ),
    sampleRows(ctx, maxImages),
  ]);
  // Rows but no counts (a table written before pixelmill kept them): not zeros, but one scan.
  if (!counts.flushedAt && !counts.baselineAt && sample.rows > 0) return undefined;
  const g = counts.groups;
  const rows = g.done + g.rejected + g.failed + g.inProgress;
  const pending: PendingImages = options.pending ?? { count: 0, examples: [] };
  const finished = g.done + g.rejected;
  const summary: ReportSummary = {
    total: rows + pending.count,
    done: g.done,
    rejected: g.rejected,
    failed: g.failed,
    pending: g.inProgress + pending.count,
    seconds: options.seconds,
    imagesPerSecond:
      options.imagesPerSecond ??
      (options.seconds && options.seconds > 0
        ? Math.round((finished / options.seconds) * 100) / 100
        : undefined),
  };
  const images = await sheetImages(ctx, options, sample, maxImages);
  return {
    title: options.title,
    generatedAt: now.toISOString(),
    target: options.target,
    summary,
    images,
    imagesOmitted: Math.max(0, summary.total - images.length),
    sampled: true,
    timeline: options.timeline ?? countedTimeline(minutes, { rows, finished }),
    timelineSource: options.timeline ? 'measured' : 'counted',
    rejections: groupsOf(counts),
    deadLetters: await deadLetters(ctx, options, scope),
    slowest: counts.slowest.map((e) => ({ ...e })),
  };
}

/** The sheet's tiles, with thumbnails for the first `maxThumbnails` DONE images. */
async function sheetImages(
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

/**
 * The page's data. Of the whole pipeline (no prefix, no tally): from the table's counts and a
 * sampled sheet (collectFromCounts), a bounded read. Scoped to prefixes: one pass over the
 * table, in memory bounded by `maxImages` (and the DLQ peek), not by the number of rows: see
 * RowTally. With `tallied`, the rows were already counted as they came (`pixelmill run` adds
 * each of its images as it settles): no scan at all.
 */
export async function collectReportData(
  ctx: OperatorContext,
  options: CollectOptions,
  tallied?: RowTally,
): Promise<ReportData> {
  const now = options.now ?? new Date();
  const scope = scopeOf(options);
  const maxImages = options.maxImages ?? REPORT_MAX_IMAGES;
  if (!tallied && options.prefix === undefined && options.prefixes === undefined) {
    const counted = await collectFromCounts(ctx, options, scope, now);
    if (counted) return counted;
  }
  let tally = tallied;
  if (!tally) {
    tally = new RowTally(maxImages);
    for await (const row of versionRows(ctx, scope)) tally.add(row);
  }
  const pending: PendingImages = options.pending ?? { count: 0, examples: [] };

  const finished = tally.done + tally.rejected;
  const summary: ReportSummary = {
    total: tally.rows + pending.count,
    done: tally.done,
    rejected: tally.rejected,
    failed: tally.failed,
    pending: tally.rows - finished - tally.failed + pending.count,
    seconds: options.seconds,
    imagesPerSecond:
      options.imagesPerSecond ??
      (options.seconds && options.seconds > 0
        ? Math.round((finished / options.seconds) * 100) / 100
        : undefined),
  };

  const images = await sheetImages(ctx, options, tally, maxImages);

  return {
    title: options.title,
    generatedAt: now.toISOString(),
    target: options.target,
    summary,
    images,
    imagesOmitted: summary.total - images.length,
    timeline:
      options.timeline ?? (await derivedTimeline(ctx, tally, options, scope, now.getTime())),
    timelineSource: options.timeline ? 'measured' : 'derived',
    rejections: tally.rejectionGroups(),
    deadLetters: await deadLetters(ctx, options, scope),
    slowest: tally.slowImages(),
  };
}
