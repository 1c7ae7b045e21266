/**
 * DynamoDB's multi-item calls, whole: a Query's every page, and BatchGetItem in requests of 100 keys and BatchWriteItem in
 * requests of 25, each sending again what DynamoDB left unprocessed, with exponential backoff
 * (as AWS advises: unprocessed items mean the table's throughput ran short).
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { toAdapterError } from './errors.ts';

type Item = Record<string, unknown>;

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
}

/** Every item found under `keys` (missing ones are absent), in no particular order. */
export async function batchGetItems(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: readonly { pk: string; sk: string }[],
  options: { consistentRead?: boolean; label?: string } = {},
): Promise<Item[]> {
  const found: Item[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Item[] = keys.slice(start, start + 100).map((k) => ({ ...k }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        const r = await doc.send(
          new BatchGetCommand({
            RequestItems: {
              [table]: {
                Keys: pending,
                ...(options.consistentRead ? { ConsistentRead: true } : {}),
              },
            },
          }),
        );
        found.push(...(r.Responses?.[table] ?? []));
        pending = (r.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
      } catch (error) {
        throw toAdapterError(`BatchGetItem${options.label ?? ''} ${table}`, error);
      }
      if (pending.length > 0) await backoff(attempt);
    }
  }
  return found;
}

/** Writes every put or delete request (`{ PutRequest }` / `{ DeleteRequest }`). */
export async function batchWriteItems(
  doc: DynamoDBDocumentClient,
  table: string,
  requests: readonly Item[],
  options: { label?: string } = {},
): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    let pending = requests.slice(start, start + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        const r = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (r.UnprocessedItems?.[table] ?? []) as Item[];
      } catch (error) {
        throw toAdapterError(`BatchWriteItem${options.label ?? ''} ${table}`, error);
      }
      if (pending.length > 0) await backoff(attempt);
    }
  }
}

/** Every item of one partition key (whose sort key starts with `skPrefix`, when given). */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  table: string,
  pk: string,
  options: { skPrefix?: string; consistentRead?: boolean; label?: string } = {},
): Promise<Item[]> {
  const { skPrefix } = options;
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    try {
      const r = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: skPrefix ? '#pk = :pk AND begins_with(#sk, :sk)' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk', ...(skPrefix ? { '#sk': 'sk' } : {}) },
          ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':sk': skPrefix } : {}) },
          ...(options.consistentRead ? { ConsistentRead: true } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(r.Items ?? []));
      startKey = r.LastEvaluatedKey;
    } catch (error) {
      throw toAdapterError(`Query${options.label ?? ''} ${table}`, error);
    }
  } while (startKey);
  return items;
}
