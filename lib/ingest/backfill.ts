/**
 * Backfill: objects already in the uploads bucket that never raised an event (uploaded before
 * the pipeline existed, or while its notifications were off) are queued by pixelmill itself, as
 * job messages (origin `backfill`), at a rate the operator chooses so a prefix of millions does
 * not flood the workers. Only the newest version of each key is queued, and by default only
 * objects without a finished row under the current config.
 *
 * Only the uploads bucket, under the uploads prefix: the worker may read nothing else (its IAM
 * policy on AWS), and the audit only accounts for that prefix.
 */

import { imageRowKey, isTerminal } from '../../events/image-row.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { Pacer } from '../async/pacer.ts';
import { rowId } from '../aws/image-table.ts';
import { UsageError } from '../ops/errors.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import type { SourceTracker } from './checkpoint.ts';

export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

/** `s3://bucket/prefix` → its parts; undefined for anything else. */
export function parseS3Uri(value: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  if (!match?.[1]) return undefined;
  return { bucket: match[1], prefix: match[2] ?? '' };
}

export interface BackfillProgress {
  readonly listed: number;
  readonly enqueued: number;
  readonly alreadyFinished: number;
}

export interface BackfillReport extends BackfillProgress {
  readonly source: string;
  readonly seconds: number;
  /** Messages per second actually achieved. */
  readonly ratePerSecond: number;
  readonly interrupted: boolean;
}

const SQS_BATCH = 10;

function checkLocation(ctx: OperatorContext, at: S3Location): string {
  const { uploadsBucket, uploadsPrefix } = ctx.resources;
  if (at.bucket !== uploadsBucket) {
    throw new UsageError(
      `Only the uploads bucket can be backfilled (s3://${uploadsBucket}/${uploadsPrefix}…): the ` +
        `worker may not read s3://${at.bucket}. Copy the objects into the uploads bucket instead ` +
        '(each copy raises its own event).',
    );
  }
  const prefix = at.prefix === '' ? uploadsPrefix : at.prefix;
  if (!prefix.startsWith(uploadsPrefix)) {
    throw new UsageError(
      `Expected a prefix under ${uploadsPrefix} (only keys there are processed and audited) but received ${JSON.stringify(at.prefix)}`,
    );
  }
  return prefix;
}

export async function backfill(
  ctx: OperatorContext,
  at: S3Location,
  options: {
    readonly ratePerSecond: number;
    /** Queue objects whose row is already DONE or REJECTED too (default: skip them). */
    readonly includeFinished?: boolean;
    readonly tracker: SourceTracker;
    readonly signal?: AbortSignal;
    readonly onProgress?: (progress: BackfillProgress) => void;
  },
): Promise<BackfillReport> {
  const prefix = checkLocation(ctx, at);
  const started = performance.now();
  const progress = { listed: 0, enqueued: 0, alreadyFinished: 0 };
  const pacer = new Pacer(options.ratePerSecond);
  let batch: { key: string; size: number; etag: string; versionId?: string | undefined }[] = [];

  /** Queues the listed batch; false when interrupted part-way. */
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return true;
    let todo = batch;
    batch = [];
    if (!options.includeFinished && ctx.configHash) {
      const hash = ctx.configHash;
      const keyOf = (o: (typeof todo)[number]) =>
        imageRowKey({
          bucket: at.bucket,
          key: o.key,
          version: o.versionId ?? o.etag,
          configHash: hash,
        });
      const rows = await ctx.table.getMany(todo.map(keyOf));
      const finished = (o: (typeof todo)[number]) => {
        const status = rows.get(rowId(keyOf(o)))?.status;
        return isTerminal(status);
      };
      progress.alreadyFinished += todo.filter(finished).length;
      todo = todo.filter((o) => !finished(o));
    }
    for (let i = 0; i < todo.length; i += SQS_BATCH) {
      const chunk = todo.slice(i, i + SQS_BATCH);
      // Paced per message: a batch of n waits n intervals after the previous one.
      await pacer.take(chunk.length);
      if (options.signal?.aborted) return false;
      const bodies = chunk.map((o) =>
        JSON.stringify(
          buildJobMessage({
            origin: 'backfill',
            bucket: at.bucket,
            key: o.key,
            size: o.size,
            etag: o.etag,
            ...(o.versionId ? { versionId: o.versionId } : {}),
            // No S3 sequencer exists for an object without an event; "0" sorts before every real
            // one, so a backfill never takes a key's latest row from a version whose event came.
            sequencer: '0',
          }),
        ),
      );
      let failed = await ctx.workQueue.sendBatch(bodies);
      if (failed.length > 0)
        failed = await ctx.workQueue.sendBatch(failed.map((f) => bodies[f] ?? ''));
      if (failed.length > 0) throw new Error(`SQS refused ${failed.length} backfill message(s)`);
      progress.enqueued += chunk.length;
      options.tracker.markStartAfter(chunk[chunk.length - 1]?.key ?? '');
      options.onProgress?.({ ...progress });
    }
    return true;
  };

  let interrupted = false;
  for await (const o of ctx.store.listVersions(at.bucket, prefix, {
    startAfter: options.tracker.startAfter,
  })) {
    if (!o.isLatest) continue;
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    progress.listed++;
    batch.push(o);
    if (batch.length >= 100 && !(await flush())) {
      interrupted = true;
      break;
    }
  }
  if (!interrupted) {
    if (await flush()) options.tracker.finish();
    else interrupted = true;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    source: `s3://${at.bucket}/${prefix}`,
    ...progress,
    seconds: Math.round(seconds * 100) / 100,
    ratePerSecond: Math.round((progress.enqueued / Math.max(0.001, seconds)) * 10) / 10,
    interrupted,
  };
}
