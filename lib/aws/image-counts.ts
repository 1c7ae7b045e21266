/**
 * The counts the metadata table keeps of itself, so `status` and `report` read a bounded number
 * of items whatever the number of rows. They live in the table (no index: the local emulator
 * cannot add one to an existing table), under partition keys `counts#00` … `counts#15`: a flush
 * goes to one shard chosen at random, so no single item takes every worker's writes (DynamoDB
 * serves about 1,000 writes a second per partition), and a reading adds the shards up.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-sharding.html
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
 *
 * Counts are advisory: a crash between a row's write and the flush loses that delta. A recount
 * (lib/ops/recount.ts) scans once and rewrites them.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_TTL_ATTRIBUTE } from '../../events/image-row.ts';
import {
  type ConfigDelta,
  type CountGroup,
  countGroups,
  EXAMPLES_PER_REASON,
  type Example,
  minuteOf,
  offerSlow,
  SLOWEST_KEPT,
  type SlowEntry,
} from './count-ledger.ts';
import { ConditionFailedError, toAdapterError } from './errors.ts';

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

const BASELINE = { pk: shardKey(0), sk: 'baseline' } as const;

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

function emptyTotals(): CountTotals {
  return {
    groups: { done: 0, rejected: 0, failed: 0, inProgress: 0 },
    rejected: new Map(),
    failed: new Map(),
  };
}

type Item = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function addTotals(into: CountTotals, item: Item): void {
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

const totalSk = (configHash: string) => `total#${configHash}`;
const slowSk = (configHash: string) => `slow#${configHash}`;
const minuteSk = (configHash: string, minute: string) => `minute#${configHash}#${minute}`;

function expiresAt(minute: string): number {
  return Math.floor(Date.parse(`${minute}:00Z`) / 1000) + MINUTES_KEPT_DAYS * 86_400;
}

export class ImageCounts {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  /** Per config: the slowest time a DONE image needs to enter a shard's leaderboard, as last seen. */
  readonly #slowFloor = new Map<string, number>();
  readonly #shard: () => number;

  constructor(doc: DynamoDBDocumentClient, table: string, shard?: () => number) {
    this.#doc = doc;
    this.#table = table;
    this.#shard = shard ?? (() => Math.floor(Math.random() * COUNT_SHARDS));
  }

  /**
   * Writes one batch's deltas to one shard: an UpdateItem for the totals and one per minute
   * touched (usually one), per config; the leaderboard only when an image beats its floor.
   */
  async flush(deltas: ReadonlyMap<string, ConfigDelta>, now: Date): Promise<void> {
    const pk = shardKey(this.#shard());
    for (const [configHash, d] of deltas) {
      await this.#addTotals(pk, configHash, d, now);
      for (const [minute, m] of d.minutes) {
        await this.#update(
          { pk, sk: minuteSk(configHash, minute) },
          'ADD #started :started, #finished :finished SET #exp = :exp, #cfg = :cfg',
          {
            '#started': 'started',
            '#finished': 'finished',
            '#exp': 'expiresAt',
            '#cfg': 'configHash',
          },
          {
            ':started': m.started,
            ':finished': m.finished,
            ':exp': expiresAt(minute),
            ':cfg': configHash,
          },
        );
      }
      if (d.slow.length > 0) await this.#offerSlowest(pk, configHash, d.slow);
    }
  }

  async #addTotals(pk: string, configHash: string, d: ConfigDelta, now: Date): Promise<void> {
    const names: Record<string, string> = { '#at': 'flushedAt', '#cfg': 'configHash' };
    const values: Record<string, unknown> = { ':at': now.toISOString(), ':cfg': configHash };
    const adds: string[] = [];
    const sets: string[] = ['#at = :at', '#cfg = :cfg'];
    let i = 0;
    const add = (name: string, n: number) => {
      if (n === 0) return;
      names[`#a${i}`] = name;
      values[`:a${i}`] = n;
      adds.push(`#a${i} :a${i}`);
      i++;
    };
    for (const g of countGroups) add(g, d.groups[g]);
    for (const [code, n] of d.failed) add(`f:${code}`, n);
    for (const [reason, r] of d.rejected) {
      add(`r:${reason}`, r.n);
      if (r.examples.length === 0) continue;
      names[`#x${i}`] = `x:${reason}`;
      values[`:x${i}`] = r.examples;
      sets.push(`#x${i} = if_not_exists(#x${i}, :x${i})`);
      i++;
    }
    await this.#update(
      { pk, sk: totalSk(configHash) },
      `${adds.length > 0 ? `ADD ${adds.join(', ')} ` : ''}SET ${sets.join(', ')}`,
      names,
      values,
    );
  }

  /** Merges candidates into a shard's leaderboard, unless none beats the floor last seen. */
  async #offerSlowest(pk: string, configHash: string, slow: readonly SlowEntry[]): Promise<void> {
    const floorKey = `${pk}#${configHash}`;
    const floor = this.#slowFloor.get(floorKey);
    if (floor !== undefined && !slow.some((e) => e.ms > floor)) return;
    const key = { pk, sk: slowSk(configHash) };
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.#get(key);
      const entries = [...((current?.entries as SlowEntry[] | undefined) ?? [])];
      for (const e of slow) offerSlow(entries, e);
      const version = num(current?.version);
      try {
        await this.#doc.send(
          new PutCommand({
            TableName: this.#table,
            Item: { ...key, entries, version: version + 1, configHash },
            ConditionExpression: current ? '#v = :v' : 'attribute_not_exists(pk)',
            ...(current
              ? {
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': version },
                }
              : {}),
          }),
        );
        this.#slowFloor.set(
          floorKey,
          entries.length >= SLOWEST_KEPT ? (entries[entries.length - 1]?.ms ?? 0) : 0,
        );
        return;
      } catch (error) {
        const adapted = toAdapterError(`PutItem(slowest) ${this.#table}`, error);
        if (!(adapted instanceof ConditionFailedError)) throw adapted;
      }
    }
  }

  /**
   * One reading. With a config hash: one BatchGetItem of every shard's totals, leaderboard and
   * last two minutes, and the baseline (65 keys). Without: one Query per shard for the totals of
   * every config, then the same BatchGetItem for the configs found.
   */
  async read(configHash: string | undefined, now: Date): Promise<CountsReading> {
    const hashes = configHash ? [configHash] : await this.#configHashes();
    const minutes = [minuteOf(new Date(now.getTime() - 60_000)), minuteOf(now)] as const;
    const keys: { pk: string; sk: string }[] = [BASELINE];
    for (const h of hashes) {
      for (let s = 0; s < COUNT_SHARDS; s++) {
        const pk = shardKey(s);
        keys.push({ pk, sk: totalSk(h) }, { pk, sk: slowSk(h) });
        for (const m of minutes) keys.push({ pk, sk: minuteSk(h, m) });
      }
    }
    const items = await this.#getMany(keys);
    const totals = emptyTotals();
    const recent = {
      previous: { minute: minutes[0], started: 0, finished: 0 },
      current: { minute: minutes[1], started: 0, finished: 0 },
    };
    const slowest: SlowEntry[] = [];
    let flushedAt: string | null = null;
    let baselineAt: string | null = null;
    for (const item of items) {
      const sk = String(item.sk);
      if (sk === BASELINE.sk) baselineAt = String(item.at);
      else if (sk.startsWith('total#')) {
        addTotals(totals, item);
        const at = typeof item.flushedAt === 'string' ? item.flushedAt : null;
        if (at && (!flushedAt || at > flushedAt)) flushedAt = at;
      } else if (sk.startsWith('slow#')) {
        for (const e of (item.entries as SlowEntry[] | undefined) ?? []) offerSlow(slowest, e);
      } else if (sk.startsWith('minute#')) {
        const which = sk.endsWith(minutes[1]) ? recent.current : recent.previous;
        which.started += num(item.started);
        which.finished += num(item.finished);
      }
    }
    return { ...totals, flushedAt, baselineAt, recent, slowest };
  }

  /** Every config with counts (one Query per shard, totals items only). */
  async #configHashes(): Promise<string[]> {
    const found = new Set<string>();
    for (let s = 0; s < COUNT_SHARDS; s++) {
      for (const item of await this.#query(shardKey(s), 'total#')) {
        found.add(String(item.sk).slice('total#'.length));
      }
    }
    return [...found].sort();
  }

  /**
   * Minute counts since `since` (the report's timeline), summed over shards and configs read:
   * one Query per shard, bounded by the minutes kept (TTL), not by the number of rows.
   */
  async minutes(configHash: string | undefined, since: Date): Promise<MinuteCount[]> {
    const byMinute = new Map<string, { started: number; finished: number }>();
    const from = minuteOf(since);
    for (let s = 0; s < COUNT_SHARDS; s++) {
      for (const item of await this.#query(
        shardKey(s),
        configHash ? `minute#${configHash}#` : 'minute#',
      )) {
        const minute = String(item.sk).slice(-16);
        if (minute < from) continue;
        const m = byMinute.get(minute) ?? { started: 0, finished: 0 };
        m.started += num(item.started);
        m.finished += num(item.finished);
        byMinute.set(minute, m);
      }
    }
    return [...byMinute.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([minute, m]) => ({ minute, ...m }));
  }

  /**
   * Replaces every count with `counted` (a recount's result): each config's totals, leaderboard
   * and minutes go to shard 00, every other counts item is deleted, and the baseline says when.
   * Writes that workers flush while this runs may be lost or counted twice: recount when quiet.
   */
  async replace(
    counted: ReadonlyMap<
      string,
      { totals: CountTotals; slowest: readonly SlowEntry[]; minutes: readonly MinuteCount[] }
    >,
    at: Date,
  ): Promise<void> {
    const puts: Item[] = [];
    const pk = shardKey(0);
    for (const [configHash, c] of counted) {
      const item: Item = { pk, sk: totalSk(configHash), configHash, flushedAt: at.toISOString() };
      for (const g of countGroups) item[g] = c.totals.groups[g];
      for (const [reason, r] of c.totals.rejected) {
        item[`r:${reason}`] = r.n;
        if (r.examples.length > 0) item[`x:${reason}`] = r.examples;
      }
      for (const [code, n] of c.totals.failed) item[`f:${code}`] = n;
      puts.push(item);
      if (c.slowest.length > 0)
        puts.push({ pk, sk: slowSk(configHash), entries: c.slowest, version: 1, configHash });
      for (const m of c.minutes) {
        puts.push({
          pk,
          sk: minuteSk(configHash, m.minute),
          started: m.started,
          finished: m.finished,
          [TABLE_TTL_ATTRIBUTE]: expiresAt(m.minute),
          configHash,
        });
      }
    }
    const kept = new Set(puts.map((p) => `${p.pk}\u0000${p.sk}`));
    const deletes: { pk: string; sk: string }[] = [];
    for (let s = 0; s < COUNT_SHARDS; s++) {
      for (const item of await this.#query(shardKey(s), '')) {
        const key = { pk: String(item.pk), sk: String(item.sk) };
        if (key.sk === BASELINE.sk || kept.has(`${key.pk}\u0000${key.sk}`)) continue;
        deletes.push(key);
      }
    }
    await this.#writeMany([
      ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
      ...puts.map((Item) => ({ PutRequest: { Item } })),
      { PutRequest: { Item: { ...BASELINE, at: at.toISOString() } } },
    ]);
    this.#slowFloor.clear();
  }

  /** Says every row is counted as of `at` (a new, empty table: nothing to miss). */
  async markBaseline(at: Date): Promise<void> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...BASELINE, at: at.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      const adapted = toAdapterError(`PutItem(baseline) ${this.#table}`, error);
      if (!(adapted instanceof ConditionFailedError)) throw adapted;
    }
  }

  async #update(
    key: { pk: string; sk: string },
    expression: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      throw toAdapterError(`UpdateItem(counts) ${this.#table}`, error);
    }
  }

  async #get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    try {
      const r = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      return r.Item;
    } catch (error) {
      throw toAdapterError(`GetItem(counts) ${this.#table}`, error);
    }
  }

  async #getMany(keys: readonly { pk: string; sk: string }[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let start = 0; start < keys.length; start += 100) {
      let pending: Item[] = keys.slice(start, start + 100).map((k) => ({ ...k }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        try {
          const r = await this.#doc.send(
            new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending } } }),
          );
          found.push(...(r.Responses?.[this.#table] ?? []));
          pending = (r.UnprocessedKeys?.[this.#table]?.Keys ?? []) as Item[];
        } catch (error) {
          throw toAdapterError(`BatchGetItem(counts) ${this.#table}`, error);
        }
        if (pending.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
    return found;
  }

  async #query(pk: string, skPrefix: string): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      try {
        const r = await this.#doc.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: skPrefix ? '#pk = :pk AND begins_with(#sk, :sk)' : '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'pk', ...(skPrefix ? { '#sk': 'sk' } : {}) },
            ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':sk': skPrefix } : {}) },
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...(r.Items ?? []));
        startKey = r.LastEvaluatedKey;
      } catch (error) {
        throw toAdapterError(`Query(counts) ${this.#table}`, error);
      }
    } while (startKey);
    return items;
  }

  async #writeMany(requests: Record<string, unknown>[]): Promise<void> {
    for (let start = 0; start < requests.length; start += 25) {
      let pending = requests.slice(start, start + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        try {
          const r = await this.#doc.send(
            new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }),
          );
          pending = (r.UnprocessedItems?.[this.#table] ?? []) as Record<string, unknown>[];
        } catch (error) {
          throw toAdapterError(`BatchWriteItem(counts) ${this.#table}`, error);
        }
        if (pending.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
