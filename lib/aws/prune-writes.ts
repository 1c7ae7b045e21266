/**
 * The deletes `pixelmill reprocess --prune` makes: rendition objects no row of the current config
 * references, and the rows of configs it replaced. DeleteObjects takes at most 1,000 keys per
 * request and reports each key it could not delete in `Errors` (the request itself succeeds);
 * deleting a key that does not exist counts as deleted.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteItems } from './dynamo-batch.ts';
import { AwsAdapterError, toAdapterError } from './errors.ts';

/** DeleteObjects' limit on keys per request. */
const DELETE_OBJECTS_MAX = 1000;

export class PruneWrites {
  readonly #s3: S3Client;
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(s3: S3Client, doc: DynamoDBDocumentClient, table: string) {
    this.#s3 = s3;
    this.#doc = doc;
    this.#table = table;
  }

  /** Deletes every key; throws naming the first key S3 would not delete. */
  async deleteObjects(bucket: string, keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_OBJECTS_MAX) {
      const chunk = keys.slice(start, start + DELETE_OBJECTS_MAX);
      let errors: { Key?: string | undefined; Code?: string | undefined }[];
      try {
        const r = await this.#s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        errors = r.Errors ?? [];
      } catch (error) {
        throw toAdapterError(`DeleteObjects s3://${bucket}`, error);
      }
      const first = errors[0];
      if (first)
        throw new AwsAdapterError(
          `DeleteObjects s3://${bucket}`,
          first.Code ?? 'Unknown',
          `${errors.length} of ${chunk.length} keys not deleted, the first ${first.Key ?? '?'}`,
        );
    }
  }

  /** Deletes table items by key (`pk`, `sk`). */
  async deleteRows(keys: readonly { pk: string; sk: string }[]): Promise<void> {
    await batchWriteItems(
      this.#doc,
      this.#table,
      keys.map((Key) => ({ DeleteRequest: { Key: { pk: Key.pk, sk: Key.sk } } })),
      { label: ' (prune)' },
    );
  }
}
