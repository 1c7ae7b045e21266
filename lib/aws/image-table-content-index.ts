/**
 * The table's content index (events/image-row.ts contentIndexKey): for one SHA-256 under one
 * config, the first DONE version row with that content, found with one GetItem, so that an exact
 * duplicate is copied instead of rendered. Written once per content and config, by a conditional
 * put when a row goes DONE (the first writer wins); re-pointed only from a donor found to have
 * lost its renditions. A missing entry (a crash between DONE and the put) costs one render.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { contentIndexKey } from '../../events/image-row.ts';
import { ConditionFailedError, toAdapterError } from './errors.ts';
import type { RowKey } from './image-row-updates.ts';

export class ContentIndex {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(doc: DynamoDBDocumentClient, table: string) {
    this.#doc = doc;
    this.#table = table;
  }

  /** The row the index names for this content under this config, if any. */
  async donorOf(sha256: string, configHash: string): Promise<RowKey | undefined> {
    try {
      const r = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: contentIndexKey(sha256, configHash) }),
      );
      const { rowPk, rowSk } = r.Item ?? {};
      return typeof rowPk === 'string' && typeof rowSk === 'string'
        ? { pk: rowPk, sk: rowSk }
        : undefined;
    } catch (error) {
      throw toAdapterError(`GetItem(content index) ${this.#table}`, error);
    }
  }

  /**
   * Names `row` for this content unless a row is named already (or, with `replacing`, unless the
   * row named is no longer that one). Returns whether it wrote.
   */
  async record(
    sha256: string,
    configHash: string,
    row: RowKey,
    now: Date,
    replacing?: RowKey,
  ): Promise<boolean> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...contentIndexKey(sha256, configHash),
            rowPk: row.pk,
            rowSk: row.sk,
            updatedAt: now.toISOString(),
          },
          ...(replacing
            ? {
                ConditionExpression: '#rowPk = :pk AND #rowSk = :sk',
                ExpressionAttributeNames: { '#rowPk': 'rowPk', '#rowSk': 'rowSk' },
                ExpressionAttributeValues: { ':pk': replacing.pk, ':sk': replacing.sk },
              }
            : {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': 'pk' },
              }),
        }),
      );
      return true;
    } catch (error) {
      const adapted = toAdapterError(`PutItem(content index) ${this.#table}`, error);
      if (adapted instanceof ConditionFailedError) return false;
      throw adapted;
    }
  }
}
