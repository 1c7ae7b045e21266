/**
 * One pass over the rows a report covers, in memory that does not grow with them: the counts,
 * the rejection groups, the slowest images, the contact sheet's first rows and the finish times.
 */
import { type ImageRow, isTerminal } from '../../events/image-row.ts';
import { isRejectionReason, rejectionReasons } from '../../events/rejection-reasons.ts';
import { BoundedSelection } from './bounded-selection.ts';
import type { RejectionGroup, SlowImage } from './data.ts';
import { InstantHistogram } from './instant-histogram.ts';

/** The slowest DONE images the page lists. */
const SLOWEST = 10;
/** Example keys kept per rejection reason. */
const EXAMPLES = 3;

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
    if (isTerminal(row.status)) {
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
    return rejectionGroups(this.rejections.entries());
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

/** Rejection groups, the most frequent first, each with its reason's description. */
export function rejectionGroups(
  counts: Iterable<
    [reason: string, group: { count: number; examples: RejectionGroup['examples'] }]
  >,
): RejectionGroup[] {
  return [...counts]
    .filter(([, group]) => group.count > 0)
    .map(([reason, group]) => ({
      reason,
      description: isRejectionReason(reason) ? rejectionReasons[reason] : 'not a known reason code',
      count: group.count,
      examples: group.examples,
    }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
