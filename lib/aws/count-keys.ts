/**
 * Where the table's counts live and what their items hold (image-counts.ts reads and writes them): the
 * shard keys, the sort keys of the totals, minute and leaderboard items, and the sum of a
 * reading's totals items.
 *
 * Items of each shard (sort key):
 * - `total#<configHash>`: rows by status group (ADD deltas), `r:<reason>` rejected by reason,
 *   `x:<reason>` the first rejected examples (if_not_exists), `f:<code>` FAILED by error code,
 *   `flushedAt` (when a batch last wrote its deltas here).
 * - `minute#<configHash>#<YYYY-MM-DDTHH:MM>`: rows first claimed (`started`) and finished that
 *   minute, with `expiresAt` (epoch seconds) for the table's TTL to remove after MINUTES_KEPT_DAYS.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 * - `slow#<configHash>`: the slowest DONE images, read-modify-write under a version condition.
 * - `baseline` (shard 00 only): when every row was last counted (a recount, or the table's
 *   creation): without it, rows written before counting began may be missing from the counts.
 */
import {
  type CountGroup,
  countGroups,
  EXAMPLES_PER_REASON,
  type Example,
  type SlowEntry,
} from './count-ledger.ts';

export const COUNT_SHARDS = 16;
export const COUNTS_PK_PREFIX = 'counts#';
/** Minute items live this long (the report's timeline reaches this far back). */
export const MINUTES_KEPT_DAYS = 8;
/** The report's derived timeline reads at most this far back. */
export const TIMELINE_DAYS = 7;

export function shardKey(n: number): string {
  return `${COUNTS_PK_PREFIX}${String(n).padStart(2, '0')}`;
}

/** Whether a table item is one of the counts (not an image row). */
export function isCountsItem(item: { pk: string }): boolean {
  return item.pk.startsWith(COUNTS_PK_PREFIX);
}

export const BASELINE = { pk: shardKey(0), sk: 'baseline' } as const;

export interface CountTotals {
  readonly groups: Record<CountGroup, number>;
  readonly rejected: Map<string, { n: number; examples: Example[] }>;
  readonly failed: Map<string, number>;
}

export interface MinuteCount {
  readonly minute: string;
  readonly started: number;
  readonly finished: number;
}

/**
 * - `counted`: every row is in the counts (a recount or the table's creation says so).
 * - `since-first-flush`: counts exist but no baseline: rows written before counting began (by an
 *   older pixelmill) would be missing; a recount settles it.
 * - `not-initialised`: rows but no counts at all.
 * - `empty`: no rows and no counts.
 */
export type CountsState = 'counted' | 'since-first-flush' | 'not-initialised' | 'empty';

export interface CountsReading extends CountTotals {
  /** Latest `flushedAt` over the shards read (null when none). */
  readonly flushedAt: string | null;
  /** When every row was last counted (null when never). */
  readonly baselineAt: string | null;
  /** This minute's and the previous minute's counts (for the recent rate). */
  readonly recent: { readonly current: MinuteCount; readonly previous: MinuteCount };
  readonly slowest: readonly SlowEntry[];
}

export function emptyTotals(): CountTotals {
  return {
    groups: { done: 0, rejected: 0, failed: 0, inProgress: 0 },
    rejected: new Map(),
    failed: new Map(),
  };
}

export type Item = Record<string, unknown>;

export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function addTotals(into: CountTotals, item: Item): void {
  for (const g of countGroups) into.groups[g] += num(item[g]);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith('r:')) {
      const reason = name.slice(2);
      const r = into.rejected.get(reason) ?? { n: 0, examples: [] };
      r.n += num(value);
      into.rejected.set(reason, r);
    } else if (name.startsWith('f:')) {
      const code = name.slice(2);
      into.failed.set(code, (into.failed.get(code) ?? 0) + num(value));
    }
  }
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith('x:') || !Array.isArray(value)) continue;
    const r = into.rejected.get(name.slice(2));
    if (!r) continue;
    for (const e of value as Example[]) {
      if (r.examples.length < EXAMPLES_PER_REASON) r.examples.push(e);
    }
  }
}

export const totalSk = (configHash: string) => `total#${configHash}`;
export const slowSk = (configHash: string) => `slow#${configHash}`;
export const minuteSk = (configHash: string, minute: string) => `minute#${configHash}#${minute}`;

export function expiresAt(minute: string): number {
  return Math.floor(Date.parse(`${minute}:00Z`) / 1000) + MINUTES_KEPT_DAYS * 86_400;
}
