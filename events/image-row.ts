/**
 * The metadata table's contract, shared by the worker that writes rows, the CLI that reads them
 * and the infrastructure that creates the table.
 *
 * One row per (object version, rendition-config hash): `pk` is `<bucket>/<key>`, `sk` is
 * `v#<versionId or etag>#c#<configHash>`. Querying one `pk` lists every version of a key.
 */
import type { RejectionReason } from './rejection-reasons.ts';

export const IMAGE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * Row lifecycle: PROCESSING (a worker holds the lease) → DONE | REJECTED (terminal), or
 * RETRYING (a transient failure; the message will be received again) → … → FAILED (the last
 * allowed receive failed; SQS moves the message to the DLQ).
 */
export const imageStatuses = ['PROCESSING', 'RETRYING', 'FAILED', 'DONE', 'REJECTED'] as const;
export type ImageStatus = (typeof imageStatuses)[number];

export const terminalStatuses: readonly ImageStatus[] = ['DONE', 'REJECTED'];

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
}

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
}

/** The row key for one object version under one rendition config. */
export function imageRowKey(input: {
  bucket: string;
  key: string;
  version: string;
  configHash: string;
}): { pk: string; sk: string } {
  return { pk: `${input.bucket}/${input.key}`, sk: `v#${input.version}#c#${input.configHash}` };
}
