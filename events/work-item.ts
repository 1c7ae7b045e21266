import type { z } from 'zod';
import { type EventIssue, EventParseError, WorkItemRefusedError } from './errors.ts';
import { JOB_MESSAGE_KIND, type JobOrigin, jobMessageSchema } from './job-message.ts';
import { objectCreatedEventSchema } from './object-created.ts';
import type { ObjectVersion } from './object-version.ts';

/** One object version to process, whatever message asked for it. */
export interface WorkItem extends ObjectVersion {
  readonly sequencer: string;
  /** When S3 (or pixelmill) raised the request. */
  readonly requestedAt: string;
  readonly origin: 'event' | JobOrigin;
}

/** The part of an SQS record this module reads. */
export interface QueueRecordLike {
  readonly messageId: string;
  readonly body: string;
}

function toIssues(error: z.ZodError): EventIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** S3's longest key, in UTF-8 bytes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const MAX_S3_KEY_BYTES = 1024;

/**
 * Parses an SQS record body into a work item. Throws EventParseError naming the record and every
 * problem found; never returns a partly-valid item. A key longer than S3 allows names no object
 * (only a forged message has one): WorkItemRefusedError `key-too-long`.
 */
export function parseWorkItem(record: QueueRecordLike): WorkItem {
  const item = parseBody(record);
  const bytes = Buffer.byteLength(item.key);
  if (bytes > MAX_S3_KEY_BYTES) {
    throw new WorkItemRefusedError(record.messageId, 'key-too-long', {
      path: 'key',
      message: `the key has ${bytes} bytes; S3 keys have at most ${MAX_S3_KEY_BYTES}`,
    });
  }
  return item;
}

/**
 * Refuses a work item outside what this worker serves: another bucket (the renditions bucket's
 * objects would make renditions of renditions) or a key outside the uploads prefix. The
 * EventBridge rule routes only the uploads prefix, so only a forged or misrouted message gets here.
 */
export function assertServed(
  record: QueueRecordLike,
  item: WorkItem,
  uploads: { readonly bucket: string; readonly prefix: string },
): void {
  if (item.bucket !== uploads.bucket) {
    throw new WorkItemRefusedError(record.messageId, 'foreign-bucket', {
      path: 'bucket',
      message: `s3://${item.bucket} is not the uploads bucket (${uploads.bucket})`,
    });
  }
  if (!item.key.startsWith(uploads.prefix)) {
    throw new WorkItemRefusedError(record.messageId, 'outside-prefix', {
      path: 'key',
      message: `the key is not under the uploads prefix "${uploads.prefix}"`,
    });
  }
}

function parseBody(record: QueueRecordLike): WorkItem {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (cause) {
    throw new EventParseError(record.messageId, [{ path: '', message: 'body is not JSON' }], {
      cause,
    });
  }
  if (typeof body === 'object' && body !== null && 'kind' in body) {
    if (body.kind !== JOB_MESSAGE_KIND) {
      throw new EventParseError(record.messageId, [
        { path: 'kind', message: `unknown message kind ${JSON.stringify(body.kind)}` },
      ]);
    }
    const job = jobMessageSchema.safeParse(body);
    if (!job.success) throw new EventParseError(record.messageId, toIssues(job.error));
    const { bucket, key, size, etag, versionId, sequencer, requestedAt, origin } = job.data;
    return { bucket, key, size, etag, versionId, sequencer, requestedAt, origin };
  }
  const event = objectCreatedEventSchema.safeParse(body);
  if (!event.success) throw new EventParseError(record.messageId, toIssues(event.error));
  const { detail, time } = event.data;
  return {
    bucket: detail.bucket.name,
    key: detail.object.key,
    size: detail.object.size,
    etag: detail.object.etag,
    versionId: detail.object['version-id'],
    sequencer: detail.object.sequencer,
    requestedAt: time,
    origin: 'event',
  };
}
