/**
 * The image table's reads (contract in events/image-row.ts): every whole row read is checked
 * against the row's schema, so a malformed item fails where it is read (InvalidRowError), not
 * later where a field is used. ImageTable (image-table.ts) adds the writes.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ImageRow,
  isContentIndexItem,
  isLatestRow,
  isVersionRow,
  parseImageRow,
  versionRowsPrefix,
} from '../../events/image-row.ts';
import { isCountsItem } from './count-keys.ts';
import { batchGetItems, queryAll } from './dynamo-batch.ts';
import { InvalidRowError, toAdapterError } from './errors.ts';
import type { RowKey } from './image-row-updates.ts';

export function rowId(key: RowKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

export class ImageRowReader {
  protected readonly doc: DynamoDBDocumentClient;
  readonly name: string;

  constructor(doc: DynamoDBDocumentClient, name: string) {
    this.doc = doc;
    this.name = name;
  }

  /**
   * An item read as a row, checked against the row's schema. An item beside the rows (the audit's
   * checkpoint: its `sk` starts with neither `v#` nor `latest#`) passes unchecked, as before:
   * every reader of rows passes it by its key.
   */
  protected row(item: Record<string, unknown>): ImageRow {
    const sk = typeof item.sk === 'string' ? item.sk : '';
    if (!isVersionRow({ sk }) && !isLatestRow({ sk })) return item as unknown as ImageRow;
    const parsed = parseImageRow(item);
    if (typeof parsed !== 'string') return parsed;
    throw new InvalidRowError(
      `read ${this.name}`,
      'InvalidRow',
      `${String(item.pk)} ${String(item.sk)} is not an image row (${parsed})`,
    );
  }

  /** Whether any image row exists (one Scan request: a table with no counts has ≤ 1 other item). */
  async hasImageRows(): Promise<boolean> {
    try {
      const r = await this.doc.send(
        new ScanCommand({ TableName: this.name, Limit: 3, ProjectionExpression: 'pk, sk' }),
      );
      return (r.Items ?? []).some(
        (i) => !isCountsItem(i as RowKey) && !isContentIndexItem(i as RowKey),
      );
    } catch (error) {
      throw toAdapterError(`Scan ${this.name}`, error);
    }
  }

  async get(key: RowKey): Promise<ImageRow | undefined> {
    try {
      const r = await this.doc.send(
        new GetCommand({ TableName: this.name, Key: { ...key }, ConsistentRead: true }),
      );
      return r.Item === undefined ? undefined : this.row(r.Item);
    } catch (error) {
      throw toAdapterError(`GetItem ${this.name}`, error);
    }
  }

  /** Reads many rows; missing ones are absent from the map (keyed by `pk\u0000sk`). */
  async getMany(keys: readonly RowKey[]): Promise<Map<string, ImageRow>> {
    const items = await batchGetItems(this.doc, this.name, keys, { consistentRead: true });
    return new Map(items.map((item) => this.row(item)).map((row) => [rowId(row), row] as const));
  }

  /**
   * The audit's checkpoint item (lib/ops/audit-checkpoint.ts): one JSON document beside the rows,
   * under a key no image row can have (`sk` never starts with `v#` or `latest#`), so every reader
   * of rows passes it by. The scheduled audit may write this one partition key and no other.
   */
  async getDocument(key: RowKey): Promise<string | undefined> {
    try {
      const r = await this.doc.send(
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
      await this.doc.send(
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
   * read at most one page more than it used. The table's counts and content index items are
   * skipped (with `attributes`, only when `pk` is among them).
   */
  async *scan(
    options: { attributes?: readonly string[]; pageSize?: number } = {},
  ): AsyncGenerator<ImageRow> {
    const names = options.attributes?.map((a, i) => [`#a${i}`, a] as const);
    let startKey: Record<string, unknown> | undefined;
    do {
      try {
        const r = await this.doc.send(
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
          // The table's counts and content index live beside the rows (image-counts.ts,
          // image-table-content-index.ts); they are not images.
          const pk = typeof item.pk === 'string' ? { pk: item.pk } : undefined;
          if (pk && (isCountsItem(pk) || isContentIndexItem(pk))) continue;
          // A projection reads partial rows: only whole ones can be checked.
          yield options.attributes ? (item as ImageRow) : this.row(item);
        }
        startKey = r.LastEvaluatedKey;
      } catch (error) {
        throw toAdapterError(`Scan ${this.name}`, error);
      }
    } while (startKey);
  }

  /** The rows of one object version of a key, one per config it was processed under (one Query). */
  async versionRows(pk: string, version: string): Promise<ImageRow[]> {
    const skPrefix = versionRowsPrefix(version);
    const items = await queryAll(this.doc, this.name, pk, { skPrefix, consistentRead: true });
    return items.map((item) => this.row(item));
  }

  /** Every row of one key: its versions (`v#…`) and LATEST rows. */
  async rowsOfKey(pk: string): Promise<ImageRow[]> {
    const items = await queryAll(this.doc, this.name, pk, { consistentRead: true });
    return items.map((item) => this.row(item));
  }
}
