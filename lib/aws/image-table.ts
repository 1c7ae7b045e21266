/**
 * DynamoDB adapter for the metadata table (contract in events/image-row.ts). Every write that
 * changes who owns an image is conditional, so two workers holding duplicates of one event can
 * never both finish it, and a finished image is never reopened.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  HISTORY_LIMIT,
  type HistoryEntry,
  IMAGE_TABLE_KEYS,
  type ImageRow,
  type ImageStatus,
  type LastError,
} from '../../events/image-row.ts';
import { CountLedger } from './count-ledger.ts';
import { ConditionFailedError, toAdapterError } from './errors.ts';
import { ImageCounts, isCountsItem } from './image-counts.ts';

export interface RowKey {
  readonly pk: string;
  readonly sk: string;
}

export interface ClaimRequest {
  readonly key: RowKey;
  /** Facts about the object version, written on first claim and refreshed on every claim. */
  readonly facts: {
    readonly bucket: string;
    readonly key: string;
    readonly version: string;
    readonly etag: string;
    readonly versionId?: string | undefined;
    readonly sequencer: string;
    readonly configHash: string;
  };
  readonly owner: string;
  /**
   * A live lease whose owner starts with this is taken over too: it was taken by an earlier
   * receive of the same message, which SQS only hands out again once that receive has let it go
   * (crashed, timed out, or given up), so waiting for that lease would wait on nobody.
   */
  readonly takeOverPrefix?: string;
  /** Epoch ms until which the claim holds; after it another worker may take over. */
  readonly leaseUntil: number;
  readonly receiveCount: number;
  readonly now: Date;
  /** Appended to the row's history. */
  readonly history: HistoryEntry;
}

export type ClaimResult =
  | { readonly outcome: 'claimed'; readonly row: ImageRow }
  | { readonly outcome: 'terminal'; readonly row: ImageRow }
  | { readonly outcome: 'busy'; readonly row: ImageRow | undefined };

/** Builds `SET #a = :a, …` with every attribute name aliased (many are reserved words). */
function setClause(values: Record<string, unknown>, prefix = 's') {
  const names: Record<string, string> = {};
  const params: Record<string, unknown> = {};
  const parts: string[] = [];
  Object.entries(values).forEach(([name, value], i) => {
    if (value === undefined) return;
    names[`#${prefix}${i}`] = name;
    params[`:${prefix}${i}`] = value;
    parts.push(`#${prefix}${i} = :${prefix}${i}`);
  });
  return { names, params, parts };
}

export class ImageTable {
  readonly #doc: DynamoDBDocumentClient;
  readonly name: string;
  /** The counts the table keeps of itself (image-counts.ts). */
  readonly counts: ImageCounts;
  /**
   * The count changes of the transitions this instance wrote, not yet flushed. Shared by every
   * batch this process runs at once: a flush takes whatever is there, whoever made it.
   */
  readonly #ledger = new CountLedger();

  constructor(doc: DynamoDBDocumentClient, name: string) {
    this.#doc = doc;
    this.name = name;
    this.counts = new ImageCounts(doc, name);
  }

  /**
   * Writes the count changes gathered since the last flush (a few UpdateItems; see
   * ImageCounts.flush). Called at the end of each batch and of each operator command that moves
   * rows. Throws what the write threw; the changes are then lost (the counts drift until a
   * recount), never retried, since a timed-out write may have landed.
   */
  async flushCounts(now = new Date()): Promise<void> {
    if (this.#ledger.empty) return;
    await this.counts.flush(this.#ledger.take(), now);
  }

  /** Whether any image row exists (one Scan request: a table with no counts has ≤ 1 other item). */
  async hasImageRows(): Promise<boolean> {
    try {
      const r = await this.#doc.send(
        new ScanCommand({ TableName: this.name, Limit: 3, ProjectionExpression: 'pk, sk' }),
      );
      return (r.Items ?? []).some((i) => !isCountsItem(i as RowKey));
    } catch (error) {
      throw toAdapterError(`Scan ${this.name}`, error);
    }
  }

  async get(key: RowKey): Promise<ImageRow | undefined> {
    try {
      const r = await this.#doc.send(
        new GetCommand({ TableName: this.name, Key: { ...key }, ConsistentRead: true }),
      );
      return r.Item as ImageRow | undefined;
    } catch (error) {
      throw toAdapterError(`GetItem ${this.name}`, error);
    }
  }

  /** Reads many rows; missing ones are absent from the map (keyed by `pk\u0000sk`). */
  async getMany(keys: readonly RowKey[]): Promise<Map<string, ImageRow>> {
    const found = new Map<string, ImageRow>();
    for (let start = 0; start < keys.length; start += 100) {
      let pending: Record<string, unknown>[] = keys
        .slice(start, start + 100)
        .map((k) => ({ ...k }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        try {
          const r = await this.#doc.send(
            new BatchGetCommand({
              RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          for (const item of r.Responses?.[this.name] ?? []) {
            const row = item as ImageRow;
            found.set(rowId(row), row);
          }
          pending = (r.UnprocessedKeys?.[this.name]?.Keys ?? []) as Record<string, unknown>[];
        } catch (error) {
          throw toAdapterError(`BatchGetItem ${this.name}`, error);
        }
        if (pending.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
    return found;
  }

  /**
   * The audit's checkpoint item (lib/ops/audit-checkpoint.ts): one JSON document beside the rows,
   * under a key no image row can have (`sk` never starts with `v#` or `latest#`), so every reader
   * of rows passes it by. The scheduled audit may write this one partition key and no other.
   */
  async getDocument(key: RowKey): Promise<string | undefined> {
    try {
      const r = await this.#doc.send(
        new GetCommand({ TableName: this.name, Key: { ...key }, ConsistentRead: true }),
      );
      const body = r.Item?.document;
      return typeof body === 'string' ? body : undefined;
    } catch (error) {
      throw toAdapterError(`GetItem ${this.name}`, error);
    }
  }

  async putDocument(key: RowKey, document: string): Promise<void> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.name,
          Item: { ...key, document, updatedAt: new Date().toISOString() },
        }),
      );
    } catch (error) {
      throw toAdapterError(`PutItem ${this.name}`, error);
    }
  }

  /**
   * Every row, page by page. With `attributes`, only those are read (the rows are partial: a
   * cheaper read for counting, not fewer read units, which DynamoDB charges by item size). With
   * `pageSize`, each Scan request reads at most that many items: a caller that stops early has
   * read at most one page more than it used. The table's counts items are skipped (with
   * `attributes`, only when `pk` is among them).
   */
  async *scan(
    options: { attributes?: readonly string[]; pageSize?: number } = {},
  ): AsyncGenerator<ImageRow> {
    const names = options.attributes?.map((a, i) => [`#a${i}`, a] as const);
    let startKey: Record<string, unknown> | undefined;
    do {
      try {
        const r = await this.#doc.send(
          new ScanCommand({
            TableName: this.name,
            ExclusiveStartKey: startKey,
            ...(options.pageSize ? { Limit: options.pageSize } : {}),
            ...(names
              ? {
                  ProjectionExpression: names.map(([n]) => n).join(', '),
                  ExpressionAttributeNames: Object.fromEntries(names),
                }
              : {}),
          }),
        );
        for (const item of r.Items ?? []) {
          // The table's counts live beside the rows (image-counts.ts); they are not images.
          if (typeof item.pk === 'string' && isCountsItem({ pk: item.pk })) continue;
          yield item as ImageRow;
        }
        startKey = r.LastEvaluatedKey;
      } catch (error) {
        throw toAdapterError(`Scan ${this.name}`, error);
      }
    } while (startKey);
  }

  /**
   * Takes the lease on one image. Succeeds when the row is new, or not finished and its lease has
   * expired (the previous holder crashed or gave up). A finished row is never claimed again.
   */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const now = request.now.toISOString();
    const set = setClause({
      status: 'PROCESSING' satisfies ImageStatus,
      leaseOwner: request.owner,
      leaseUntil: request.leaseUntil,
      updatedAt: now,
      receiveCount: request.receiveCount,
      ...request.facts,
    });
    try {
      const r = await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...request.key },
          UpdateExpression:
            `SET ${set.parts.join(', ')}, #attempts = if_not_exists(#attempts, :zero) + :one, ` +
            '#createdAt = if_not_exists(#createdAt, :now), ' +
            '#history = list_append(if_not_exists(#history, :none), :entry)',
          ConditionExpression:
            'attribute_not_exists(#pk) OR (#status <> :done AND #status <> :rejected AND ' +
            '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :nowMs' +
            `${request.takeOverPrefix ? ' OR begins_with(#leaseOwner, :takeOver)' : ''}))`,
          ExpressionAttributeNames: {
            ...set.names,
            '#pk': IMAGE_TABLE_KEYS.partitionKey,
            '#status': 'status',
            '#leaseUntil': 'leaseUntil',
            ...(request.takeOverPrefix ? { '#leaseOwner': 'leaseOwner' } : {}),
            '#attempts': 'attempts',
            '#createdAt': 'createdAt',
            '#history': 'history',
          },
          ExpressionAttributeValues: {
            ...set.params,
            ':none': [],
            ':entry': [request.history],
            ':zero': 0,
            ':one': 1,
            ':now': now,
            ':nowMs': request.now.getTime(),
            ':done': 'DONE',
            ':rejected': 'REJECTED',
            ...(request.takeOverPrefix ? { ':takeOver': request.takeOverPrefix } : {}),
          },
          // The row as it was: its status says what the claim changes in the counts.
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = r.Attributes as ImageRow | undefined;
      const row: ImageRow = {
        ...old,
        ...request.facts,
        ...request.key,
        status: 'PROCESSING',
        leaseOwner: request.owner,
        leaseUntil: request.leaseUntil,
        updatedAt: now,
        receiveCount: request.receiveCount,
        attempts: (old?.attempts ?? 0) + 1,
        createdAt: old?.createdAt ?? now,
        history: [...(old?.history ?? []), request.history],
      } as ImageRow;
      this.#ledger.record({
        configHash: request.facts.configHash,
        from: old?.status,
        to: 'PROCESSING',
        at: request.now,
        fromCode: old?.lastError?.code,
      });
      await this.#trimHistory(request.key, row);
      return { outcome: 'claimed', row };
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(claim) ${this.name}`, error);
      if (!(adapted instanceof ConditionFailedError)) throw adapted;
      // dynalite returns no item with a failed condition; read it (consistently) instead.
      const row = await this.get(request.key);
      if (row && (row.status === 'DONE' || row.status === 'REJECTED')) {
        return { outcome: 'terminal', row };
      }
      return { outcome: 'busy', row };
    }
  }

  /**
   * Ends a claim: writes the outcome and releases the lease, only if `owner` still holds it.
   * Throws ConditionFailedError when another worker has taken over.
   */
  async finish(
    key: RowKey,
    owner: string,
    status: ImageStatus,
    fields: Record<string, unknown>,
    now: Date,
    history?: HistoryEntry,
  ): Promise<ImageRow> {
    const set = setClause({ ...fields, status, updatedAt: now.toISOString() });
    const append = history
      ? ', #history = list_append(if_not_exists(#history, :none), :entry)'
      : '';
    try {
      const r = await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression: `SET ${set.parts.join(', ')}${append} REMOVE #leaseOwner, #leaseUntil`,
          ConditionExpression: '#leaseOwner = :owner',
          ExpressionAttributeNames: {
            ...set.names,
            '#leaseOwner': 'leaseOwner',
            '#leaseUntil': 'leaseUntil',
            ...(history ? { '#history': 'history' } : {}),
          },
          ExpressionAttributeValues: {
            ...set.params,
            ':owner': owner,
            ...(history ? { ':none': [], ':entry': [history] } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const row = r.Attributes as ImageRow;
      // Only a row under a lease has a leaseOwner: it was PROCESSING or RETRYING (in progress).
      this.#ledger.record({
        configHash: row.configHash,
        from: 'PROCESSING',
        to: status,
        at: now,
        toCode: status === 'REJECTED' ? row.reason : row.lastError?.code,
        example: status === 'REJECTED' ? { key: row.key, message: row.message ?? '' } : undefined,
        slow:
          status === 'DONE' && typeof row.processingMs === 'number'
            ? {
                key: row.key,
                ms: row.processingMs,
                width: row.width,
                height: row.height,
                format: row.format,
                bytes: row.bytes,
              }
            : undefined,
      });
      return row;
    } catch (error) {
      throw toAdapterError(`UpdateItem(${status}) ${this.name}`, error);
    }
  }

  /**
   * Extends a live lease (the heartbeat of a long image). Fails with ConditionFailedError when
   * `owner` no longer holds it.
   */
  async renewLease(key: RowKey, owner: string, leaseUntil: number, now: Date): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression: 'SET #leaseUntil = :until, #updatedAt = :now',
          ConditionExpression: '#leaseOwner = :owner AND #status = :processing',
          ExpressionAttributeNames: {
            '#leaseUntil': 'leaseUntil',
            '#leaseOwner': 'leaseOwner',
            '#status': 'status',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':until': leaseUntil,
            ':owner': owner,
            ':processing': 'PROCESSING',
            ':now': now.toISOString(),
          },
        }),
      );
    } catch (error) {
      throw toAdapterError(`UpdateItem(lease) ${this.name}`, error);
    }
  }

  /** Records a transient failure and gives the lease back, so the next receive can claim it. */
  async recordFailure(
    key: RowKey,
    owner: string,
    status: Extract<ImageStatus, 'RETRYING' | 'FAILED'>,
    lastError: LastError,
    now: Date,
    history?: HistoryEntry,
  ): Promise<ImageRow> {
    return this.finish(key, owner, status, { lastError }, now, history);
  }

  /** Every row of one key: its versions (`v#…`) and LATEST rows. */
  async rowsOfKey(pk: string): Promise<ImageRow[]> {
    const rows: ImageRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      try {
        const r = await this.#doc.send(
          new QueryCommand({
            TableName: this.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': IMAGE_TABLE_KEYS.partitionKey },
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        rows.push(...((r.Items ?? []) as ImageRow[]));
        startKey = r.LastEvaluatedKey;
      } catch (error) {
        throw toAdapterError(`Query ${this.name}`, error);
      }
    } while (startKey);
    return rows;
  }

  /**
   * Writes a key's LATEST row, only if no row with a later (or equal) sequencer is there: an
   * event delivered out of order never overwrites newer metadata. Returns whether it wrote.
   */
  async putLatest(
    key: RowKey,
    row: Record<string, unknown> & { sequencerKey: string },
  ): Promise<boolean> {
    const set = setClause(row);
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression: `SET ${set.parts.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#pk) OR #seq < :seq',
          ExpressionAttributeNames: {
            ...set.names,
            '#pk': IMAGE_TABLE_KEYS.partitionKey,
            '#seq': 'sequencerKey',
          },
          ExpressionAttributeValues: { ...set.params, ':seq': row.sequencerKey },
        }),
      );
      return true;
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(latest) ${this.name}`, error);
      if (adapted instanceof ConditionFailedError) return false;
      throw adapted;
    }
  }

  /** Appends a step to an existing row's history (a redrive, a repair), with optional fields. */
  async note(
    key: RowKey,
    entry: HistoryEntry,
    fields: Record<string, unknown> = {},
    increment?: string,
  ): Promise<void> {
    const set = setClause(fields, 'n');
    const parts = [...set.parts, '#history = list_append(if_not_exists(#history, :none), :entry)'];
    if (increment) parts.push('#inc = if_not_exists(#inc, :zero) + :one');
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression: `SET ${parts.join(', ')}`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            ...set.names,
            '#pk': IMAGE_TABLE_KEYS.partitionKey,
            '#history': 'history',
            ...(increment ? { '#inc': increment } : {}),
          },
          ExpressionAttributeValues: {
            ...set.params,
            ':none': [],
            ':entry': [entry],
            ...(increment ? { ':zero': 0, ':one': 1 } : {}),
          },
        }),
      );
    } catch (error) {
      throw toAdapterError(`UpdateItem(note) ${this.name}`, error);
    }
  }

  /**
   * Records that an operator sent the image's message again (a redrive, an audit repair). A row
   * nobody holds and not finished becomes RETRYING, touched now, so status and the audit count it
   * as on its way instead of failed or stuck; any other row only gains the history entry.
   */
  async requeued(key: RowKey, entry: HistoryEntry, increment?: 'redrives'): Promise<void> {
    const inc = increment ? ', #inc = if_not_exists(#inc, :zero) + :one' : '';
    try {
      const r = await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression:
            'SET #status = :retrying, #updatedAt = :now, ' +
            `#history = list_append(if_not_exists(#history, :none), :entry)${inc}`,
          ConditionExpression:
            'attribute_exists(#pk) AND #status <> :done AND #status <> :rejected AND ' +
            '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :nowMs)',
          ExpressionAttributeNames: {
            '#pk': IMAGE_TABLE_KEYS.partitionKey,
            '#status': 'status',
            '#updatedAt': 'updatedAt',
            '#leaseUntil': 'leaseUntil',
            '#history': 'history',
            ...(increment ? { '#inc': increment } : {}),
          },
          ExpressionAttributeValues: {
            ':retrying': 'RETRYING' satisfies ImageStatus,
            ':done': 'DONE' satisfies ImageStatus,
            ':rejected': 'REJECTED' satisfies ImageStatus,
            ':now': entry.at,
            ':nowMs': new Date(entry.at).getTime(),
            ':none': [],
            ':entry': [entry],
            ...(increment ? { ':zero': 0, ':one': 1 } : {}),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const old = r.Attributes as ImageRow | undefined;
      if (old)
        this.#ledger.record({
          configHash: old.configHash,
          from: old.status,
          to: 'RETRYING',
          at: new Date(entry.at),
          fromCode: old.lastError?.code,
        });
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(requeued) ${this.name}`, error);
      if (!(adapted instanceof ConditionFailedError)) throw adapted;
      await this.note(key, entry, {}, increment);
    }
  }

  /**
   * Reopens a DONE row whose renditions went missing, so the next delivery claims it again
   * (a finished row is otherwise never claimed). Only if it is still the row the audit saw.
   */
  async reopen(key: RowKey, seenUpdatedAt: string, entry: HistoryEntry): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression:
            'SET #status = :retrying, #updatedAt = :now, #history = list_append(if_not_exists(#history, :none), :entry)',
          ConditionExpression: '#status = :done AND #updatedAt = :seen',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#updatedAt': 'updatedAt',
            '#history': 'history',
          },
          ExpressionAttributeValues: {
            ':retrying': 'RETRYING' satisfies ImageStatus,
            ':done': 'DONE' satisfies ImageStatus,
            ':seen': seenUpdatedAt,
            ':now': entry.at,
            ':none': [],
            ':entry': [entry],
          },
        }),
      );
      const configHash = key.sk.split('#c#').pop() ?? '';
      this.#ledger.record({ configHash, from: 'DONE', to: 'RETRYING', at: new Date(entry.at) });
      return true;
    } catch (error) {
      const adapted = toAdapterError(`UpdateItem(reopen) ${this.name}`, error);
      if (adapted instanceof ConditionFailedError) return false;
      throw adapted;
    }
  }

  /** Keeps a row's history bounded: drops the oldest entries past HISTORY_LIMIT. */
  async #trimHistory(key: RowKey, row: ImageRow): Promise<void> {
    const excess = (row.history?.length ?? 0) - HISTORY_LIMIT;
    if (excess <= 0) return;
    const removes = Array.from({ length: excess }, (_, i) => `#history[${i}]`).join(', ');
    await this.#doc
      .send(
        new UpdateCommand({
          TableName: this.name,
          Key: { ...key },
          UpdateExpression: `REMOVE ${removes}`,
          ExpressionAttributeNames: { '#history': 'history' },
        }),
      )
      .catch(() => undefined);
  }
}

export function rowId(key: RowKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
