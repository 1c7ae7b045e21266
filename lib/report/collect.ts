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

import type { ImageRow } from '../../events/image-row.ts';
import { isVersionRow } from '../../events/image-row.ts';
import { TIMELINE_DAYS } from '../aws/count-keys.ts';
import { peekDeadLetters } from '../ops/dead-letters.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import { type CollectOptions, type PendingImages, type Scope, scopeOf } from './collect-options.ts';
import type {
  DuplicatesNotCompared,
  ReportData,
  ReportDeadLetter,
  ReportDuplicates,
  ReportSummary,
} from './data.ts';
import { duplicatesSection, REPORT_DUPLICATES_MAX_IMAGES } from './duplicates.ts';
import { RowTally, rejectionGroups } from './row-tally.ts';
import { sheetImages } from './sheet.ts';
import { countedTimeline, derivedTimeline } from './timeline.ts';

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

/** Every version row in scope, counted (one pass, memory bounded by `maxImages`). */
async function tallyRows(ctx: OperatorContext, scope: Scope, maxImages: number): Promise<RowTally> {
  const tally = new RowTally(maxImages);
  for await (const row of versionRows(ctx, scope)) tally.add(row);
  return tally;
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

async function duplicates(
  ctx: OperatorContext,
  options: CollectOptions,
  scope: Scope,
  done: number,
): Promise<ReportDuplicates | DuplicatesNotCompared | undefined> {
  const distance = options.duplicatesDistance;
  if (distance === undefined) return undefined;
  const limit = options.duplicatesMaxImages ?? REPORT_DUPLICATES_MAX_IMAGES;
  if (done > limit) return { notCompared: { images: done, limit } };
  return duplicatesSection(ctx, scope, distance);
}

/** The summary's numbers; the rate is the run's own, or the finished rows over `seconds`. */
function summaryOf(
  counts: { total: number; done: number; rejected: number; failed: number; pending: number },
  options: CollectOptions,
): ReportSummary {
  const finished = counts.done + counts.rejected;
  return {
    ...counts,
    seconds: options.seconds,
    imagesPerSecond:
      options.imagesPerSecond ??
      (options.seconds && options.seconds > 0
        ? Math.round((finished / options.seconds) * 100) / 100
        : undefined),
  };
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
  return reportFrom(ctx, options, scope, now, {
    counts: g,
    sheet: sample,
    sampled: true,
    timeline: () => countedTimeline(minutes, { rows, finished: g.done + g.rejected }),
    timelineSource: 'counted',
    rejections: rejectionGroups(
      [...counts.rejected].map(([reason, r]) => [reason, { count: r.n, examples: r.examples }]),
    ),
    slowest: counts.slowest.map((e) => ({ ...e })),
  });
}

/** What each way of counting the rows brings to the page; the rest is read the same way. */
interface CountedRows {
  /** Rows by outcome; the caller's pending images (not yet rows) are added to them. */
  readonly counts: {
    readonly done: number;
    readonly rejected: number;
    readonly failed: number;
    readonly inProgress: number;
  };
  /** The rows the contact sheet picks from. */
  readonly sheet: RowTally;
  /** The sheet is a sample of the table, not every row in scope. */
  readonly sampled?: true;
  /** Called only when the caller measured no timeline of its own. */
  readonly timeline: () => ReportData['timeline'] | Promise<ReportData['timeline']>;
  readonly timelineSource: 'derived' | 'counted';
  readonly rejections: ReportData['rejections'];
  readonly slowest: ReportData['slowest'];
}

async function reportFrom(
  ctx: OperatorContext,
  options: CollectOptions,
  scope: Scope,
  now: Date,
  rows: CountedRows,
): Promise<ReportData> {
  const pending: PendingImages = options.pending ?? { count: 0, examples: [] };
  const { done, rejected, failed, inProgress } = rows.counts;
  const summary = summaryOf(
    {
      total: done + rejected + failed + inProgress + pending.count,
      done,
      rejected,
      failed,
      pending: inProgress + pending.count,
    },
    options,
  );
  const images = await sheetImages(
    ctx,
    options,
    rows.sheet,
    options.maxImages ?? REPORT_MAX_IMAGES,
  );
  return {
    title: options.title,
    generatedAt: now.toISOString(),
    target: options.target,
    summary,
    images,
    imagesOmitted: Math.max(0, summary.total - images.length),
    ...(rows.sampled ? { sampled: true } : {}),
    timeline: options.timeline ?? (await rows.timeline()),
    timelineSource: options.timeline ? 'measured' : rows.timelineSource,
    rejections: rows.rejections,
    deadLetters: await deadLetters(ctx, options, scope),
    slowest: rows.slowest,
    duplicates: await duplicates(ctx, options, scope, done),
  };
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
  const tally = tallied ?? (await tallyRows(ctx, scope, maxImages));
  return reportFrom(ctx, options, scope, now, {
    counts: {
      done: tally.done,
      rejected: tally.rejected,
      failed: tally.failed,
      inProgress: tally.rows - tally.done - tally.rejected - tally.failed,
    },
    sheet: tally,
    timeline: () => derivedTimeline(ctx, tally, options, scope, now.getTime()),
    timelineSource: 'derived',
    rejections: tally.rejectionGroups(),
    slowest: tally.slowImages(),
  });
}
