/**
 * fetch: the source object version's bytes, within the byte limit. A missing version or one over
 * the limit is the image's fault (ImageRejectedError); anything else is transient.
 */
import type { WorkItem } from '../../events/work-item.ts';
import { ObjectNotFoundError } from '../aws/errors.ts';
import { type ObjectStore, ObjectTooLargeError } from '../aws/object-store.ts';
import { ImageRejectedError } from '../imaging/errors.ts';

export async function fetchSource(
  store: ObjectStore,
  item: WorkItem,
  version: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Buffer; contentType?: string | undefined }> {
  if (item.size > maxBytes) {
    throw new ImageRejectedError(
      'byte-limit',
      `The object has ${item.size} bytes, over the limit of ${maxBytes}`,
    );
  }
  try {
    return await store.getObject(
      { bucket: item.bucket, key: item.key, versionId: item.versionId, etag: item.etag },
      maxBytes,
      signal,
    );
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new ImageRejectedError(
        'not-found',
        `s3://${item.bucket}/${item.key} (version ${version}) no longer exists`,
        { cause: error },
      );
    }
    if (error instanceof ObjectTooLargeError) {
      throw new ImageRejectedError('byte-limit', error.message, { cause: error });
    }
    throw error;
  }
}
