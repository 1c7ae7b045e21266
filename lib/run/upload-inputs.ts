/**
 * `pixelmill run`'s inputs into the uploads bucket: each source read by the source readers
 * (`lib/ingest/sources`: the same names, links and archive defences as `pixelmill ingest`), each
 * entry streamed up as it is read, `concurrency` at once. Every input ends as exactly one
 * `InputOutcome`, handed to `onOutcome` as it settles (nothing is kept here): uploaded, refused
 * (by the readers, or because its renditions would collide in the output directory), or failed
 * (reading or uploading it), so one bad file never ends a run. An object already in the bucket
 * with the same content (same ETag) is not uploaded again: re-running after an interruption
 * sends only what is missing, and raises no second event for what was sent. What is already
 * there comes from one listing per source (`existing`), not a HEAD per file.
 */

import type { Readable } from 'node:stream';
import { TaskPool } from '../async/pool.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import { contentTypeOfName } from '../imaging/content-types.ts';
import { refusalOf, SourceReadError } from '../ingest/sources/errors.ts';
import type { ArchiveLimits } from '../ingest/sources/limits.ts';
import { readSource } from '../ingest/sources/read-source.ts';
import type { RefusalReason, SourceEntry } from '../ingest/sources/source.ts';
import { uploadWhileReading } from '../ingest/sources/upload-while-reading.ts';
import type { RunSource } from './inputs.ts';
import type { RunReason } from './manifest.ts';

export type InputOutcome =
  | {
      readonly kind: 'uploaded';
      /** The manifest's `source`: the path as typed (raw), or `archive:entry`. */
      readonly source: string;
      readonly key: string;
      readonly etag: string;
      readonly versionId?: string | undefined;
      readonly size: number;
      /** True when the same content was already in the bucket. */
      readonly alreadyThere: boolean;
    }
  | {
      readonly kind: 'refused';
      readonly source: string;
      readonly reason: RefusalReason | Extract<RunReason, 'output-collision'>;
      readonly message: string;
    }
  | {
      readonly kind: 'failed';
      readonly source: string;
      readonly reason: Extract<RunReason, 'read-failed' | 'upload-failed'>;
      readonly message: string;
    };

export interface UploadProgress {
  /** Inputs with an outcome so far. */
  readonly settled: number;
  readonly uploaded: number;
  readonly bytes: number;
  readonly refused: number;
  readonly failed: number;
}

export interface UploadOptions {
  readonly keyPrefix: string;
  readonly concurrency: number;
  /**
   * Claims the output path of an entry (its name below the key prefix) before it is uploaded;
   * returns why it cannot have one, and the entry is refused as `output-collision`.
   */
  readonly claimOutput: (name: string) => string | undefined;
  readonly limits?: ArchiveLimits | undefined;
  /** Stops reading new entries; those in flight finish. */
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Each input's outcome, as it settles. */
  readonly onOutcome: (outcome: InputOutcome) => void;
  /**
   * What the bucket holds under the sources' prefixes, listed once before the run: a key it
   * does not name is uploaded without a HEAD first. Without it, each upload asks.
   */
  readonly existing?: ReadonlyMap<string, { etag: string; versionId?: string | undefined }>;
  /** Awaited before each upload starts: lets the caller hold uploads back (a backlog bound). */
  readonly ready?: (() => Promise<void>) | undefined;
}

/**
 * The latest version of every object under the sources' key prefixes (one ListObjectVersions
 * per 1,000 keys): what `existing` takes. A name the readers clean differently from the prefix
 * (NFC, controls removed) is simply not found, and then uploaded again: a duplicate event the
 * worker acknowledges, never a second result.
 */
export async function listExisting(
  store: ObjectStore,
  bucket: string,
  sources: readonly RunSource[],
): Promise<Map<string, { etag: string; versionId?: string | undefined }>> {
  const found = new Map<string, { etag: string; versionId?: string | undefined }>();
  for (const source of sources) {
    for await (const o of store.listVersions(bucket, source.keyPrefix)) {
      if (o.isLatest) found.set(o.key, { etag: o.etag, versionId: o.versionId });
    }
  }
  return found;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function uploadInputs(
  store: ObjectStore,
  bucket: string,
  sources: readonly RunSource[],
  options: UploadOptions,
): Promise<UploadProgress> {
  const counts = { settled: 0, uploaded: 0, bytes: 0, refused: 0, failed: 0 };
  const settle = (outcome: InputOutcome) => {
    options.onOutcome(outcome);
    counts.settled++;
    if (outcome.kind === 'uploaded') {
      counts.uploaded++;
      counts.bytes += outcome.size;
    } else counts[outcome.kind]++;
    options.onProgress?.({ ...counts });
  };
  const add = settle;

  const upload = async (entry: SourceEntry, body: Readable): Promise<void> => {
    const source = entry.path ?? entry.source;
    const key = `${options.keyPrefix}${entry.name}`;
    const listed = options.existing?.get(key);
    try {
      const r = await store.uploadStream(bucket, key, body, {
        contentType: contentTypeOfName(entry.name),
        unlessSame: options.existing ? (listed?.etag ?? null) : true,
        partsAtOnce: 2,
      });
      // Already there: the version to wait for is the one in the bucket.
      const versionId = r.alreadyThere
        ? listed
          ? listed.versionId
          : (await store.head(bucket, key))?.versionId
        : r.versionId;
      settle({
        kind: 'uploaded',
        source,
        key,
        etag: r.etag,
        versionId,
        size: r.bytes,
        alreadyThere: r.alreadyThere,
      });
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) {
        settle({ kind: 'refused', source, reason: refusal.reason, message: refusal.detail });
      } else {
        settle({
          kind: 'failed',
          source,
          reason: error instanceof SourceReadError ? 'read-failed' : 'upload-failed',
          message: messageOf(error),
        });
      }
      // A body the upload stopped reading must still be read past before the next entry.
      if (!body.readableEnded) await entry.discard().catch(() => undefined);
    }
  };

  const pool = new TaskPool(options.concurrency);
  for (const source of sources) {
    if (options.signal?.aborted) break;
    const reader = readSource(source.given, {
      kind: source.kind,
      keyPrefix: options.keyPrefix,
      ...(options.limits ? { limits: options.limits } : {}),
    });
    try {
      for await (const item of reader.items) {
        if (options.signal?.aborted) break;
        if (item.kind === 'refused') {
          const { refusal } = item;
          add({
            kind: 'refused',
            source: refusal.path ?? refusal.source,
            reason: refusal.reason,
            message: refusal.detail,
          });
          continue;
        }
        const { entry } = item;
        const conflict = options.claimOutput(entry.name);
        if (conflict !== undefined) {
          await entry.discard();
          add({
            kind: 'refused',
            source: entry.path ?? entry.source,
            reason: 'output-collision',
            message: conflict,
          });
          continue;
        }
        await uploadWhileReading(pool, entry, upload, options.ready);
      }
    } catch (error) {
      // The source itself failed from here on (a directory became unreadable, an archive
      // vanished): what was read keeps its outcomes, the rest of this source is one failure.
      add({
        kind: 'failed',
        source: source.given,
        reason: 'read-failed',
        message: messageOf(error),
      });
    }
  }
  await pool.idle();
  return counts;
}
