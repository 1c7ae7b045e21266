/**
 * The counts the metadata table keeps of itself, so `status` and `report` read a bounded number
 * of items whatever the number of rows. They live in the table (no index: the local emulator
 * cannot add one to an existing table), under partition keys `counts#00` … `counts#15`: a flush
 * goes to one shard chosen at random, so no single item takes every worker's writes (DynamoDB
 * serves about 1,000 writes a second per partition), and a reading adds the shards up.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-sharding.html
 *
 * Which items hold what: count-keys.ts.
 *
 * Counts are advisory: a crash between a row's write and the flush loses that delta. A recount
 * (lib/ops/recount.ts) scans once and rewrites them.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_TTL_ATTRIBUTE } from '../../events/image-row.ts';
import {
  addTotals,
  BASELINE,
  COUNT_SHARDS,
  type CountsReading,
  type CountTotals,
  emptyTotals,
  expiresAt,
  type Item,
  type MinuteCount,
  minuteSk,
  num,
  shardKey,
  slowSk,
  totalSk,
} from './count-keys.ts';
import {
  type ConfigDelta,
  countGroups,
  minuteOf,
  offerSlow,
  SLOWEST_KEPT,
  type SlowEntry,
} from './count-ledger.ts';
import { batchGetItems, batchWriteItems, queryAll } from './dynamo-batch.ts';
import { ConditionFailedError, toAdapterError } from './errors.ts';

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
    const items = await batchGetItems(this.#doc, this.#table, keys, { label: '(counts)' });
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
      for (const item of await this.#shardItems(s, 'total#')) {
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
      const prefix = configHash ? `minute#${configHash}#` : 'minute#';
      for (const item of await this.#shardItems(s, prefix)) {
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
      for (const item of await this.#shardItems(s, '')) {
        const key = { pk: String(item.pk), sk: String(item.sk) };
        if (key.sk === BASELINE.sk || kept.has(`${key.pk}\u0000${key.sk}`)) continue;
        deletes.push(key);
      }
    }
    await batchWriteItems(
      this.#doc,
      this.#table,
      [
        ...deletes.map((Key) => ({ DeleteRequest: { Key } })),
        ...puts.map((Item) => ({ PutRequest: { Item } })),
        { PutRequest: { Item: { ...BASELINE, at: at.toISOString() } } },
      ],
      { label: '(counts)' },
    );
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

  /** The items of one shard whose sort key starts with `skPrefix` (all when empty). */
  #shardItems(shard: number, skPrefix: string): Promise<Item[]> {
    return queryAll(this.#doc, this.#table, shardKey(shard), { skPrefix, label: '(counts)' });
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
}
