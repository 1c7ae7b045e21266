import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ObjectVersion } from './object-version.ts';

/**
 * The S3 "Object Created" event as EventBridge delivers it (and as the SQS target receives it as
 * the message body). Unknown fields are kept: AWS adds fields without notice.
 *
 * Contract: https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * Unlike S3's direct notifications, `detail.object.key` is the key itself, not URL-encoded.
 * `version-id` is present only for versioned buckets; `sequencer` orders events of one key
 * (compare as hex strings of equal length).
 */
export const OBJECT_CREATED_SOURCE = 'aws.s3';
export const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';

export const objectCreatedReasons = [
  'PutObject',
  'POST Object',
  'CopyObject',
  'CompleteMultipartUpload',
] as const;

export const objectCreatedEventSchema = z.looseObject({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.literal(OBJECT_CREATED_DETAIL_TYPE),
  source: z.literal(OBJECT_CREATED_SOURCE),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.looseObject({
    version: z.string(),
    bucket: z.looseObject({ name: z.string().min(3).max(63) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().int().nonnegative(),
      etag: z.string().min(1),
      'version-id': z.string().min(1).optional(),
      sequencer: z.string().regex(/^[0-9A-Fa-f]+$/),
    }),
    'request-id': z.string().optional(),
    requester: z.string().optional(),
    'source-ip-address': z.string().optional(),
    reason: z.string().optional(),
  }),
});

export type ObjectCreatedEvent = z.infer<typeof objectCreatedEventSchema>;

export interface ObjectCreatedFacts extends ObjectVersion {
  readonly sequencer: string;
  readonly reason: (typeof objectCreatedReasons)[number];
  readonly region: string;
  readonly account: string;
  readonly time?: Date;
  readonly requester?: string;
  readonly sourceIp?: string;
}

/** Builds an event shaped exactly as S3 sends it to EventBridge. */
export function buildObjectCreatedEvent(facts: ObjectCreatedFacts): ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': OBJECT_CREATED_DETAIL_TYPE,
    source: OBJECT_CREATED_SOURCE,
    account: facts.account,
    time: (facts.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: facts.region,
    resources: [`arn:aws:s3:::${facts.bucket}`],
    detail: {
      version: '0',
      bucket: { name: facts.bucket },
      object: {
        key: facts.key,
        size: facts.size,
        etag: facts.etag,
        ...(facts.versionId ? { 'version-id': facts.versionId } : {}),
        sequencer: facts.sequencer,
      },
      'request-id': randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
      requester: facts.requester ?? facts.account,
      'source-ip-address': facts.sourceIp ?? '127.0.0.1',
      reason: facts.reason,
    },
  };
}

/**
 * Compares two S3 sequencers. They are hex strings whose lengths may differ; AWS says to pad the
 * shorter with leading zeros and compare as strings.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padStart(width, '0');
  const pb = b.toUpperCase().padStart(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
