/**
 * Which object an S3 "Object Created" event on EventBridge names. AWS documents
 * `detail.object.key` as the key itself (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html),
 * unlike S3's direct notifications, which form-encode it (spaces as `+`, the rest as `%XX`:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
 * but the two are not settled in practice (Powertools for Python decodes it, moto sends it raw).
 * So the key is used as given, and only when no object answers to it with the event's content is
 * its form-decoded reading tried, and accepted only if that object has the event's size and ETag.
 *
 * A key without `+` or `%` reads the same both ways and costs nothing; one with either costs a
 * HEAD (two when the given reading is wrong). pixelmill's own job messages carry raw keys.
 */
import type { WorkItem } from '../../events/work-item.ts';
import type { ObjectHead, ObjectStore } from '../aws/object-store.ts';
import type { PipelineLogger } from './log.ts';

/** `a+b%20c` → `a b c`; undefined when it is not a valid encoding or reads the same. */
export function formDecodedKey(key: string): string | undefined {
  if (!key.includes('+') && !key.includes('%')) return undefined;
  try {
    const decoded = decodeURIComponent(key.replaceAll('+', ' '));
    return decoded === key ? undefined : decoded;
  } catch {
    return undefined; // a `%` not followed by two hex digits: only the raw reading exists
  }
}

function sameContent(head: ObjectHead | undefined, item: WorkItem): boolean {
  return head !== undefined && head.etag === item.etag && head.size === item.size;
}

/** The item with the key of the object its event names (the given one unless shown otherwise). */
export async function resolveEventKey(
  store: Pick<ObjectStore, 'head'>,
  item: WorkItem,
  log: PipelineLogger,
  /** Cancels the HEADs (the record was abandoned). */
  signal?: AbortSignal,
): Promise<WorkItem> {
  if (item.origin !== 'event') return item;
  const decoded = formDecodedKey(item.key);
  if (decoded === undefined) return item;
  const given = await store.head(item.bucket, item.key, item.versionId, signal);
  if (given !== undefined && given.etag === item.etag) return item;
  const other = await store.head(item.bucket, decoded, item.versionId, signal);
  if (!sameContent(other, item)) return item;
  log.info('the event named its key form-encoded; the object is at the decoded key', {
    eventKey: item.key,
    key: decoded,
  });
  return { ...item, key: decoded };
}
