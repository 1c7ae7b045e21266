/**
 * The per-image use case: one queue record in, one outcome recorded, in one straight line:
 *
 *   parse → claim (conditional write, lease) → fetch → validate → render → store → mark
 *   → settle (log, metrics, onSettled, LATEST row: settle.ts)
 *
 * Renditions are written before the row says DONE, so a crash between the two only repeats
 * deterministic writes. A permanent problem with the image marks it REJECTED and the record is
 * acknowledged; anything else is recorded on the row and rethrown for SQS to deliver again. A
 * lease lost before the mark (another delivery took the image over) is no failure, for DONE and
 * REJECTED alike: the new holder writes the same outcome.
 */
import { randomUUID } from 'node:crypto';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import type { RecordMessageAttributes } from '../../events/deferral.ts';
import { WorkItemRefusedError } from '../../events/errors.ts';
import { type ImageRow, imageRowKey } from '../../events/image-row.ts';
import { assertServed, parseWorkItem } from '../../events/work-item.ts';
import { ConditionFailedError } from '../aws/errors.ts';
import type { DoneFields, ImageTable } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import { ImageRejectedError } from '../imaging/errors.ts';
import { errorMessage, LeaseBusyError } from './errors.ts';
import { defaultLeasePolicy, type LeasePolicy, leaseUntil, startLeaseHeartbeat } from './lease.ts';
import { type PipelineLogger, withFields } from './log.ts';
import { type ImageRenderer, type MadeRenditions, makeRenditions } from './make-renditions.ts';
import type { PipelineMetrics } from './metrics.ts';
import { resolveEventKey } from './resolve-event-key.ts';
import { type RecordContext, settle, settleFailure } from './settle.ts';

export interface PipelineDeps {
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly renditionsBucket: string;
  /** The only bucket and key prefix this worker processes (forged events name others). */
  readonly uploads: { readonly bucket: string; readonly prefix: string };
  readonly config: PixelmillConfig;
  /** Renders with `config`: the pixel pool's, in the workers. */
  readonly render: ImageRenderer;
  readonly configHash: string;
  readonly maxReceiveCount: number;
  readonly log: PipelineLogger;
  /** Told about every attempt that reaches an outcome (the worker's metrics). */
  readonly metrics?: PipelineMetrics;
  readonly lease?: LeasePolicy;
  /** The flow's one clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * Pushes a record's message visibility a full visibility timeout past now (SQS
   * ChangeMessageVisibility): called on each heartbeat of a long image, so its message does not
   * reappear while it is still being worked on.
   */
  readonly extendVisibility?: (record: QueueRecord) => Promise<void>;
  /**
   * Told each row that reaches DONE, REJECTED or FAILED, as the table wrote it (and each finished
   * row a duplicate delivery finds): how a process hosting workers (pixelmill run) follows its
   * images without reading the table for them. For a DONE this worker made, `stored` holds the
   * bytes of each rendition it just wrote, by key. Each RETRYING row a transient failure leaves is
   * told too (not an outcome: listeners that want outcomes look at `status`).
   */
  readonly onSettled?: (row: ImageRow, stored?: ReadonlyMap<string, Buffer>) => void;
}

/** The part of an SQS record the pipeline reads. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount?: string };
  readonly messageAttributes?: RecordMessageAttributes;
  readonly receiptHandle?: string;
  readonly eventSourceARN?: string;
}

export type RecordOutcome =
  | { readonly kind: 'done'; readonly key: string; readonly renditions: number }
  | { readonly kind: 'rejected'; readonly key: string; readonly reason: string }
  /** The image was already finished, or is being finished by the delivery holding its lease. */
  | { readonly kind: 'duplicate'; readonly key: string; readonly status: string }
  /** Not a work item at all: moved to the DLQ at once, with the reason, instead of retried. */
  | { readonly kind: 'dead-lettered'; readonly code: string }
  /** Cut off by the invocation's deadline on its last receives: a fresh copy was queued. */
  | { readonly kind: 'deferred'; readonly code: string };

/**
 * DynamoDB's largest sort key, in bytes (a partition key may have 2,048: `<bucket>/<key>` always
 * fits, since keys are at most 1,024). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
 */
const MAX_SORT_KEY_BYTES = 1024;

/** How the record loop runs one record. */
export interface RecordRun {
  /** Epoch ms by which this invocation must be done; no lease outlives it. */
  readonly hardLimit: number;
  /** SQS's ApproximateReceiveCount, parsed once by the loop (receiveCountOf). */
  readonly receiveCount: number;
  /**
   * Aborted when the record is abandoned (the batch's deadline): the image leaves the pixel pool,
   * its S3 calls are cancelled and nothing more is written for it; its reason is what this call
   * rejects with.
   */
  readonly signal?: AbortSignal | undefined;
}

/** SQS's ApproximateReceiveCount of a record (1 when absent or unreadable). */
export function receiveCountOf(record: QueueRecord): number {
  return Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
}

/** parse: the work item the record carries, if this worker serves it, with its row key. */
async function accept(deps: PipelineDeps, record: QueueRecord, signal: AbortSignal | undefined) {
  const parsed = parseWorkItem(record);
  assertServed(record, parsed, deps.uploads);
  const item = await resolveEventKey(deps.store, parsed, deps.log, signal);
  // A decoded key is checked again: it must be under the prefix too.
  if (item !== parsed) assertServed(record, item, deps.uploads);
  const version = item.versionId ?? item.etag;
  const rowKey = imageRowKey({
    bucket: item.bucket,
    key: item.key,
    version,
    configHash: deps.configHash,
  });
  const skBytes = Buffer.byteLength(rowKey.sk);
  if (skBytes > MAX_SORT_KEY_BYTES) {
    throw new WorkItemRefusedError(record.messageId, 'key-too-long', {
      path: 'versionId',
      message: `the version makes a ${skBytes}-byte table sort key; DynamoDB allows ${MAX_SORT_KEY_BYTES}`,
    });
  }
  return { item, version, rowKey };
}

/**
 * mark: DONE or REJECTED, releasing the lease. A lost lease is not a failure: the new holder
 * writes the same result, and undefined is returned.
 */
async function mark(
  ctx: RecordContext,
  status: 'DONE' | 'REJECTED',
  write: () => Promise<ImageRow>,
): Promise<ImageRow | undefined> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    ctx.log.warn(`lease lost before ${status}; the new holder finishes`);
    return undefined;
  }
}

function doneFields(made: MadeRenditions, processingMs: number): DoneFields {
  return {
    ...made.image,
    renditions: made.renditions,
    processingMs,
    ...(made.duplicateOf ? { duplicateOf: made.duplicateOf } : {}),
    ...(made.usage ? { cpuMs: made.usage.cpuMs, peakMb: made.usage.peakMb } : {}),
  };
}

/**
 * Names this row as the donor of its content under its config, if none is named yet (or in place
 * of a donor whose renditions were gone). Best effort: the image is DONE whatever happens here,
 * and a missing entry costs a later duplicate one render.
 */
async function indexContent(ctx: RecordContext, made: MadeRenditions): Promise<void> {
  if (!made.sha256 || made.duplicateOf) return;
  try {
    const { table, configHash } = ctx.deps;
    const at = new Date(ctx.now());
    await table.contents.record(made.sha256, configHash, ctx.rowKey, at, made.brokenDonor);
  } catch (error) {
    ctx.log.warn('could not index the image by content', { error: errorMessage(error) });
  }
}

export async function processRecord(
  deps: PipelineDeps,
  record: QueueRecord,
  run: RecordRun,
): Promise<RecordOutcome> {
  const now = deps.now ?? Date.now;
  const started = now();
  const { receiveCount, signal } = run;
  const policy = deps.lease ?? defaultLeasePolicy;
  const { item, version, rowKey } = await accept(deps, record, signal);
  const owner = `${record.messageId}/${randomUUID()}`;
  // Every line about this image names it and the message that carried it.
  const log = withFields(deps.log, { imageKey: item.key, messageId: record.messageId });
  const ctx: RecordContext = {
    deps,
    log,
    item,
    version,
    rowKey,
    owner,
    receiveCount,
    now,
    started,
  };

  // claim
  const claimedAt = new Date(now());
  const claim = await deps.table.claim({
    key: rowKey,
    facts: {
      bucket: item.bucket,
      key: item.key,
      version,
      etag: item.etag,
      versionId: item.versionId,
      sequencer: item.sequencer,
      configHash: deps.configHash,
    },
    owner,
    takeOverPrefix: `${record.messageId}/`,
    leaseUntil: leaseUntil(policy, run.hardLimit, claimedAt.getTime()),
    receiveCount,
    now: claimedAt,
    history: {
      at: claimedAt.toISOString(),
      event: 'claimed',
      messageId: record.messageId,
      receiveCount,
      origin: item.origin,
    },
  });
  if (claim.outcome === 'terminal') return settle(ctx, { kind: 'duplicate', row: claim.row });
  if (claim.outcome === 'busy') {
    const until = claim.row?.leaseUntil;
    // The holder is another message (an earlier receive of this one was taken over in the
    // claim). The holder's own message stays on the queue until it is done, or comes back if the
    // holder dies, so this duplicate is never the image's last chance: it is retried when the
    // lease can next expire, and acknowledged rather than let into the DLQ.
    if (receiveCount >= deps.maxReceiveCount - 1) {
      log.info('duplicate of an image in progress, acknowledged', { receiveCount });
      return { kind: 'duplicate', key: item.key, status: 'PROCESSING' };
    }
    throw new LeaseBusyError(
      `Another worker holds ${item.key} until ${new Date(until ?? 0).toISOString()}`,
      until,
    );
  }

  // fetch → validate → render → store, under a heartbeat that stops before the mark.
  const stopHeartbeat = startLeaseHeartbeat(
    deps.table,
    rowKey,
    owner,
    policy,
    run.hardLimit,
    log,
    () => deps.extendVisibility?.(record),
    now,
  );
  let made: MadeRenditions;
  try {
    made = await makeRenditions(deps, item, version, rowKey, signal);
  } catch (error) {
    await stopHeartbeat();
    // Abandoned: whoever gave up on it reports it; the next holder of the lease finishes it.
    if (signal?.aborted) throw signal.reason;
    if (!(error instanceof ImageRejectedError)) {
      await settleFailure(ctx, error);
      throw error;
    }
    const rejected = await mark(ctx, 'REJECTED', () =>
      deps.table.markRejected(
        rowKey,
        owner,
        {
          reason: error.reason,
          message: error.message,
          processingMs: now() - started,
          ...(error.usage ? { cpuMs: error.usage.cpuMs, peakMb: error.usage.peakMb } : {}),
        },
        new Date(now()),
      ),
    );
    return settle(ctx, { kind: 'rejected', row: rejected, error });
  }
  await stopHeartbeat();
  signal?.throwIfAborted();
  const processingMs = now() - started;
  const done = await mark(ctx, 'DONE', () =>
    deps.table.markDone(rowKey, owner, doneFields(made, processingMs), new Date(now())),
  );
  if (done) await indexContent(ctx, made);
  return settle(ctx, { kind: 'done', row: done, made, processingMs });
}
