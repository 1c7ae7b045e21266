/**
 * The changes to the table's maintained counts since they were last written, gathered in memory
 * from the row transitions this process made (image-table.ts), and taken whole by a flush
 * (image-counts.ts) — a few writes per batch, not per image.
 *
 * Statuses are counted in four groups: PROCESSING and RETRYING are one (`inProgress`), because a
 * row held under a lease can be either (an operator's requeue marks an expired lease RETRYING
 * without taking it), so the finishing write cannot tell which one it leaves; status and the
 * report show them together anyway.
 */
import type { ImageRow, ImageStatus } from '../../events/image-row.ts';
import type { SourceFacts } from '../../events/source-facts.ts';

export const countGroups = ['done', 'rejected', 'failed', 'inProgress'] as const;
export type CountGroup = (typeof countGroups)[number];

export function countGroupOf(status: ImageStatus): CountGroup {
  if (status === 'DONE') return 'done';
  if (status === 'REJECTED') return 'rejected';
  if (status === 'FAILED') return 'failed';
  return 'inProgress';
}

/** Kept per reason: the first few keys rejected for it (the report's examples). */
export const EXAMPLES_PER_REASON = 3;
/** Kept per config: the slowest DONE images (the report's leaderboard). */
export const SLOWEST_KEPT = 10;
/**
 * Reason and error codes are attribute names of the counts item; past this length they are cut,
 * so one odd error cannot grow the item (DynamoDB items are at most 400 KB).
 */
export const MAX_CODE_LENGTH = 64;

export interface Example {
  readonly key: string;
  readonly message: string;
}

export interface SlowEntry extends SourceFacts {
  readonly key: string;
  readonly ms: number;
}

/** A DONE row's place on the slowest-images leaderboard (undefined for any other row). */
export function slowEntryOf(row: ImageRow): SlowEntry | undefined {
  if (row.status !== 'DONE' || typeof row.processingMs !== 'number') return undefined;
  const { key, width, height, format, bytes } = row;
  return { key, ms: row.processingMs, width, height, format, bytes };
}

/** Per-minute activity: rows first claimed (`started`) and rows that reached DONE or REJECTED. */
export interface MinuteDelta {
  started: number;
  finished: number;
}

export interface ConfigDelta {
  readonly groups: Record<CountGroup, number>;
  readonly rejected: Map<string, { n: number; examples: Example[] }>;
  readonly failed: Map<string, number>;
  /** By minute, `YYYY-MM-DDTHH:MM` (UTC). */
  readonly minutes: Map<string, MinuteDelta>;
  /** The slowest DONE images seen, slowest first, at most SLOWEST_KEPT. */
  readonly slow: SlowEntry[];
}

/** One transition of one row. `from` undefined: the row is new. */
export interface Transition {
  readonly configHash: string;
  readonly from: ImageStatus | undefined;
  readonly to: ImageStatus;
  readonly at: Date;
  /** The lastError code of a FAILED row left (from) or reached (to). */
  readonly fromCode?: string | undefined;
  readonly toCode?: string | undefined;
  /** For a REJECTED row: its reason and message. */
  readonly example?: Example | undefined;
  /** For a DONE row: what the leaderboard needs. */
  readonly slow?: SlowEntry | undefined;
}

export function minuteOf(at: Date): string {
  return at.toISOString().slice(0, 16);
}

export function codeName(code: string): string {
  return code.slice(0, MAX_CODE_LENGTH);
}

function emptyDelta(): ConfigDelta {
  return {
    groups: { done: 0, rejected: 0, failed: 0, inProgress: 0 },
    rejected: new Map(),
    failed: new Map(),
    minutes: new Map(),
    slow: [],
  };
}

/** Inserts into a slowest-first list of at most SLOWEST_KEPT (same key: the slower stays). */
export function offerSlow(list: SlowEntry[], entry: SlowEntry): void {
  const same = list.findIndex((e) => e.key === entry.key);
  if (same >= 0) {
    if ((list[same]?.ms ?? 0) >= entry.ms) return;
    list.splice(same, 1);
  }
  const at = list.findIndex((e) => e.ms < entry.ms);
  list.splice(at < 0 ? list.length : at, 0, entry);
  if (list.length > SLOWEST_KEPT) list.length = SLOWEST_KEPT;
}

export class CountLedger {
  #byConfig = new Map<string, ConfigDelta>();

  get empty(): boolean {
    return this.#byConfig.size === 0;
  }

  record(t: Transition): void {
    const fromGroup = t.from === undefined ? undefined : countGroupOf(t.from);
    const toGroup = countGroupOf(t.to);
    if (fromGroup === toGroup) return;
    let d = this.#byConfig.get(t.configHash);
    if (!d) {
      d = emptyDelta();
      this.#byConfig.set(t.configHash, d);
    }
    if (fromGroup) d.groups[fromGroup]--;
    d.groups[toGroup]++;
    if (fromGroup === 'failed' && t.fromCode) {
      const code = codeName(t.fromCode);
      d.failed.set(code, (d.failed.get(code) ?? 0) - 1);
    }
    if (toGroup === 'failed' && t.toCode) {
      const code = codeName(t.toCode);
      d.failed.set(code, (d.failed.get(code) ?? 0) + 1);
    }
    const minute = minuteOf(t.at);
    const m = d.minutes.get(minute) ?? { started: 0, finished: 0 };
    if (t.from === undefined) m.started++;
    if (toGroup === 'done' || toGroup === 'rejected') m.finished++;
    if (m.started > 0 || m.finished > 0) d.minutes.set(minute, m);
    if (toGroup === 'rejected' && t.toCode) {
      const reason = codeName(t.toCode);
      const r = d.rejected.get(reason) ?? { n: 0, examples: [] };
      r.n++;
      if (t.example && r.examples.length < EXAMPLES_PER_REASON) r.examples.push(t.example);
      d.rejected.set(reason, r);
    }
    if (toGroup === 'done' && t.slow) offerSlow(d.slow, t.slow);
  }

  /** Everything gathered so far, by config hash; the ledger starts again empty. */
  take(): Map<string, ConfigDelta> {
    const taken = this.#byConfig;
    this.#byConfig = new Map();
    return taken;
  }
}
