/**
 * Rebuilds the table's counts from its rows: one scan, then every counts item rewritten
 * (ImageCounts.replace). What `pixelmill status --recount` and `audit --repair` run, and what a
 * bench calls after seeding rows directly. Its cost grows with the table (the scan): it is the
 * repair for drift, not a reading. Memory stays bounded: per config, counts by status, reason and
 * error code, a few examples, the slowest images and one number pair per minute of the window.
 */
import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import { type CountTotals, MINUTES_KEPT_DAYS, type MinuteCount } from '../aws/count-keys.ts';
import {
  codeName,
  countGroupOf,
  EXAMPLES_PER_REASON,
  minuteOf,
  offerSlow,
  type SlowEntry,
  slowEntryOf,
} from '../aws/count-ledger.ts';
import type { ImageTable } from '../aws/image-table.ts';

export interface RecountResult {
  /** Version rows counted. */
  readonly rows: number;
  /** Per config hash: rows by status group. */
  readonly configs: Readonly<Record<string, CountTotals['groups']>>;
  readonly seconds: number;
}

const ATTRIBUTES = [
  'pk',
  'sk',
  'key',
  'status',
  'configHash',
  'createdAt',
  'updatedAt',
  'reason',
  'message',
  'lastError',
  'processingMs',
  'width',
  'height',
  'format',
  'bytes',
];

interface Counting {
  totals: CountTotals;
  slowest: SlowEntry[];
  minutes: Map<string, { started: number; finished: number }>;
}

function tally(c: Counting, row: ImageRow, since: string): void {
  const group = countGroupOf(row.status);
  c.totals.groups[group]++;
  if (group === 'rejected' && row.reason) {
    const reason = codeName(row.reason);
    const r = c.totals.rejected.get(reason) ?? { n: 0, examples: [] };
    r.n++;
    if (r.examples.length < EXAMPLES_PER_REASON)
      r.examples.push({ key: row.key, message: row.message ?? '' });
    c.totals.rejected.set(reason, r);
  }
  if (group === 'failed' && row.lastError?.code) {
    const code = codeName(row.lastError.code);
    c.totals.failed.set(code, (c.totals.failed.get(code) ?? 0) + 1);
  }
  const slow = group === 'done' ? slowEntryOf(row) : undefined;
  if (slow) offerSlow(c.slowest, slow);
  const minute = (at: string | undefined) => {
    if (!at || at < since) return undefined;
    const m = minuteOf(new Date(at));
    const entry = c.minutes.get(m) ?? { started: 0, finished: 0 };
    c.minutes.set(m, entry);
    return entry;
  };
  const started = minute(row.createdAt);
  if (started) started.started++;
  if (group === 'done' || group === 'rejected') {
    const finished = minute(row.updatedAt);
    if (finished) finished.finished++;
  }
}

/**
 * Scans the table once and replaces its counts. Run it when the pipeline is quiet: batches that
 * flush while it runs may be lost from the counts or counted twice.
 */
export async function recountTable(table: ImageTable, now = new Date()): Promise<RecountResult> {
  const started = performance.now();
  const since = new Date(now.getTime() - MINUTES_KEPT_DAYS * 86_400_000).toISOString();
  const byConfig = new Map<string, Counting>();
  let rows = 0;
  for await (const row of table.scan({ attributes: ATTRIBUTES })) {
    if (!isVersionRow(row)) continue;
    rows++;
    let c = byConfig.get(row.configHash);
    if (!c) {
      c = {
        totals: {
          groups: { done: 0, rejected: 0, failed: 0, inProgress: 0 },
          rejected: new Map(),
          failed: new Map(),
        },
        slowest: [],
        minutes: new Map(),
      };
      byConfig.set(row.configHash, c);
    }
    tally(c, row, since);
  }
  const counted = new Map(
    [...byConfig].map(([hash, c]) => [
      hash,
      {
        totals: c.totals,
        slowest: c.slowest,
        minutes: [...c.minutes].map(([minute, m]): MinuteCount => ({ minute, ...m })),
      },
    ]),
  );
  await table.counts.replace(counted, now);
  return {
    rows,
    configs: Object.fromEntries([...byConfig].map(([h, c]) => [h, c.totals.groups])),
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
