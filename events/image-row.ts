/**
 * The metadata table's contract, shared by the worker that writes rows, the CLI that reads them
 * and the infrastructure that creates the table.
 *
 * One row per (object version, rendition-config hash): `pk` is `<bucket>/<key>`, `sk` is
 * `v#<versionId or etag>#c#<configHash>`. Querying one `pk` lists every version of a key.
 */
import { z } from 'zod';
import type { RejectionReason } from './rejection-reasons.ts';

export const IMAGE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * The table's TTL attribute (epoch seconds): only the per-minute counts items carry it
 * (lib/aws/image-counts.ts); image rows never expire.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * Row lifecycle: PROCESSING (a worker holds the lease) → DONE | REJECTED (terminal), or
 * RETRYING (a transient failure; the message will be received again) → … → FAILED (the last
 * allowed receive failed; SQS moves the message to the DLQ).
 */
export const imageStatuses = ['PROCESSING', 'RETRYING', 'FAILED', 'DONE', 'REJECTED'] as const;
export type ImageStatus = (typeof imageStatuses)[number];

export const terminalStatuses: readonly ImageStatus[] = ['DONE', 'REJECTED'];

/** DONE or REJECTED: the image's outcome, never claimed or changed again (but by a repair). */
export function isTerminal(status: string | undefined): status is 'DONE' | 'REJECTED' {
  return status === 'DONE' || status === 'REJECTED';
}

export interface RenditionRecord {
  readonly name: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Key in the renditions bucket. */
  readonly key: string;
  /** Hash of the preset that made it (also part of the key). */
  readonly presetHash: string;
  /** Why its size is not what the preset asked for (e.g. fitted inside WebP's 16,383 px). */
  readonly note?: string;
  /**
   * Not rendered for this row, but reused: the object at `key` was written for this same version
   * under the config with this hash (the preset's hash is unchanged, so is the key).
   */
  readonly reusedFrom?: string;
  /** Not rendered for this row: a server-side copy of the exact duplicate's rendition at this key. */
  readonly copiedFrom?: string;
}

/**
 * One step of an image's story, appended to its row (the first HISTORY_LIMIT are kept).
 * `dlq-deleted`: an operator deleted its dead letter (`pixelmill dlq delete`, `dlq purge`).
 */
export interface HistoryEntry {
  readonly at: string;
  readonly event:
    | 'claimed'
    | 'failed'
    | 'done'
    | 'rejected'
    | 'redriven'
    | 'repaired'
    | 'dlq-deleted';
  readonly messageId?: string;
  readonly receiveCount?: number;
  /** What asked for the work: an S3 event, or pixelmill itself (repair, backfill, resume). */
  readonly origin?: string;
  readonly code?: string;
  readonly message?: string;
}

/** History entries kept per row; older ones are dropped (lastError always holds the latest). */
export const HISTORY_LIMIT = 40;

export interface LastError {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

export interface ImageRow {
  readonly pk: string;
  readonly sk: string;
  readonly status: ImageStatus;
  readonly bucket: string;
  readonly key: string;
  readonly version: string;
  readonly etag: string;
  readonly versionId?: string;
  readonly sequencer: string;
  readonly configHash: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly attempts: number;
  readonly leaseOwner?: string;
  readonly leaseUntil?: number;
  readonly lastError?: LastError;
  readonly reason?: RejectionReason;
  readonly message?: string;
  readonly width?: number;
  readonly height?: number;
  readonly format?: string;
  readonly bytes?: number;
  readonly renditions?: readonly RenditionRecord[];
  readonly analysis?: Readonly<Record<string, unknown>>;
  readonly processingMs?: number;
  /** CPU time of the image's own decode and encode (its pixel process, every thread), ms. */
  readonly cpuMs?: number;
  /** Peak resident memory of its pixel process while it worked on the image, MiB. */
  readonly peakMb?: number;
  readonly history?: readonly HistoryEntry[];
  /** Times this image's message was moved back from the DLQ. */
  readonly redrives?: number;
  /**
   * DONE as an exact duplicate: the first DONE row with the same SHA-256 under the same config,
   * whose renditions this row's are copies of (see contentIndexKey).
   */
  readonly duplicateOf?: { readonly pk: string; readonly sk: string };
  /** Only on LATEST rows: the version row this one mirrors. */
  readonly latestOf?: string;
  /** The sequencer, zero-padded to SEQUENCER_WIDTH, so strings compare as S3 orders events. */
  readonly sequencerKey?: string;
}

/**
 * The LATEST row of a key (per config): a copy of the newest version's outcome, written only by
 * an event with a later S3 sequencer, so an event delivered late never overwrites newer metadata.
 */
export function latestRowKey(input: { bucket: string; key: string; configHash: string }): {
  pk: string;
  sk: string;
} {
  return { pk: `${input.bucket}/${input.key}`, sk: `latest#c#${input.configHash}` };
}

/**
 * The partition of the audit's own items (its checkpoint, lib/ops/audit-checkpoint.ts): beside the
 * image rows, never one of them (`sk` starts with neither `v#` nor `latest#`). The scheduled audit
 * may write this partition key and no other.
 */
export const AUDIT_ITEMS_PK = 'pixelmill#audit';

/**
 * The content index item of a SHA-256 under one config: it names (`row`) the first DONE version
 * row with that content under that config, the donor of exact duplicates. Never an image row: its
 * `sk` starts with neither `v#` nor `latest#`, and its `pk` is no `<bucket>/<key>` (a bucket name
 * has no `#`).
 */
export const CONTENT_INDEX_PK_PREFIX = 'pixelmill#sha256#';
export function contentIndexKey(sha256: string, configHash: string): { pk: string; sk: string } {
  return { pk: `${CONTENT_INDEX_PK_PREFIX}${sha256}`, sk: `c#${configHash}` };
}

/** Whether a table item is a content index item (not an image row). */
export function isContentIndexItem(item: { pk: string }): boolean {
  return item.pk.startsWith(CONTENT_INDEX_PK_PREFIX);
}

/** The sort-key prefix of every row of one object version, whatever its config. */
export function versionRowsPrefix(version: string): string {
  return `v#${version}#c#`;
}

export function isVersionRow(row: { sk: string }): boolean {
  return row.sk.startsWith('v#');
}

/** A key's LATEST row (see latestRowKey); neither it nor a version row: not an image's row. */
export function isLatestRow(row: { sk: string }): boolean {
  return row.sk.startsWith('latest#');
}

/** Hex sequencers compare by value once padded to one width (S3's own advice). */
export const SEQUENCER_WIDTH = 40;
export function sequencerKey(sequencer: string): string {
  return sequencer.toUpperCase().padStart(SEQUENCER_WIDTH, '0');
}

/** The row key for one object version under one rendition config. */
export function imageRowKey(input: {
  bucket: string;
  key: string;
  version: string;
  configHash: string;
}): { pk: string; sk: string } {
  return {
    pk: `${input.bucket}/${input.key}`,
    sk: `${versionRowsPrefix(input.version)}${input.configHash}`,
  };
}

/**
 * What a read checks of an item before calling it an ImageRow: its keys, a known status, and the
 * types of the fields the code branches on (lease, counts, errors, renditions, history). Other
 * attributes pass through unchecked (the analysis, and fields a newer writer may add).
 */
const imageRowSchema = z.looseObject({
  pk: z.string(),
  sk: z.string(),
  status: z.enum(imageStatuses),
  configHash: z.string().optional(),
  attempts: z.number().optional(),
  leaseOwner: z.string().optional(),
  leaseUntil: z.number().optional(),
  updatedAt: z.string().optional(),
  lastError: z.looseObject({ code: z.string(), message: z.string(), at: z.string() }).optional(),
  reason: z.string().optional(),
  processingMs: z.number().optional(),
  renditions: z.array(z.looseObject({ key: z.string(), bytes: z.number() })).optional(),
  duplicateOf: z.looseObject({ pk: z.string(), sk: z.string() }).optional(),
  history: z.array(z.looseObject({ at: z.string(), event: z.string() })).optional(),
});

/** The row, or the schema's first complaint (`path: message`) when the item is not one. */
export function parseImageRow(item: unknown): ImageRow | string {
  const result = imageRowSchema.safeParse(item);
  if (result.success) return result.data as unknown as ImageRow;
  const issue = result.error.issues[0];
  return `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'not an image row'}`;
}
