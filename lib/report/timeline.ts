/**
 * The report's timeline when the run took no samples of its queue: derived from upload and
 * finish times, or read from the table's per-minute counts.
 */
import type { MinuteCount } from '../aws/count-keys.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import type { CollectOptions, Scope } from './collect-options.ts';
import type { TimelinePoint } from './data.ts';
import { InstantHistogram } from './instant-histogram.ts';
import type { RowTally } from './row-tally.ts';

/** Points on the page's timeline at most. */
const TIMELINE_POINTS = 120;

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
export async function derivedTimeline(
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
