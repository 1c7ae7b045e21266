/**
 * The per-image use case: one queue record in, one outcome recorded.
 *
 *   parse → claim (conditional write, lease) → fetch → render → put renditions → mark DONE
 *
 * Renditions are written before the row says DONE, so a crash between the two only repeats
 * deterministic writes. A permanent problem with the image marks it REJECTED and the record is
 * acknowledged; anything else is recorded on the row and rethrown for SQS to deliver again.
 */
import { randomUUID } from 'node:crypto';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import type { RecordMessageAttributes } from '../../events/deferral.ts';
import { WorkItemRefusedError } from '../../events/errors.ts';
import { type ImageRow, imageRowKey, latestRowKey, sequencerKey } from '../../events/image-row.ts';
import { assertServed, parseWorkItem, type WorkItem } from '../../events/work-item.ts';
import { ConditionFailedError } from '../aws/errors.ts';
import type { ImageTable, RowKey } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import { ImageRejectedError } from '../imaging/errors.ts';
import { errorCode, errorMessage, LeaseBusyError } from './errors.ts';
import { defaultLeasePolicy, type LeasePolicy, leaseUntil, startLeaseHeartbeat } from './lease.ts';
import { type PipelineLogger, withFields } from './log.ts';
import { type ImageRenderer, type MadeRenditions, makeRenditions } from './make-renditions.ts';
import { type PipelineMetrics, reportOutcome } from './metrics.ts';
import { resolveEventKey } from './resolve-event-key.ts';

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

/** Tells whoever follows outcomes (never failing the record for it). */
function settled(deps: PipelineDeps, row: ImageRow, stored?: ReadonlyMap<string, Buffer>): void {
  try {
    deps.onSettled?.(row, stored);
  } catch (error) {
    deps.log.warn('could not report a settled row', { error: errorMessage(error) });
  }
}

/**
 * DynamoDB's largest sort key, in bytes (a partition key may have 2,048: `<bucket>/<key>` always
 * fits, since keys are at most 1,024). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
 */
const MAX_SORT_KEY_BYTES = 1024;

/**
 * Writes DONE; returns the row as written. A lost lease is not a failure: the new holder writes
 * the same result (and undefined is returned).
 */
async function markDone(
  deps: PipelineDeps,
  log: PipelineLogger,
  rowKey: RowKey,
  owner: string,
  made: MadeRenditions,
  ms: number,
): Promise<ImageRow | undefined> {
  const { width, height, format, bytes, ...analysis } = made.analysis;
  const usage = made.usage ? { cpuMs: made.usage.cpuMs, peakMb: made.usage.peakMb } : {};
  try {
    return await deps.table.markDone(
      rowKey,
      owner,
      {
        width,
        height,
        format,
        bytes,
        renditions: made.renditions,
        analysis,
        processingMs: ms,
        ...usage,
      },
      new Date(),
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    log.warn('lease lost before DONE; the new holder finishes');
    return undefined;
  }
}

/** Records a transient failure on the row (best effort: the error itself is rethrown). */
async function markFailed(
  deps: PipelineDeps,
  log: PipelineLogger,
  rowKey: RowKey,
  owner: string,
  error: unknown,
  final: boolean,
) {
  const lastError = {
    code: errorCode(error),
    message: errorMessage(error).slice(0, 1000),
    at: new Date().toISOString(),
  };
  try {
    const row = await deps.table.recordFailure(rowKey, owner, { lastError, final }, new Date());
    // FAILED is an outcome; RETRYING is told too, so a run can say what is retrying and why.
    settled(deps, row);
  } catch (recordError) {
    log.warn('could not record the failure on the row', { error: errorMessage(recordError) });
  }
  return lastError;
}

/**
 * Mirrors a finished version onto its key's LATEST row, unless a later event got there first.
 * It runs after the outcome is written and again for every duplicate of a finished image, so a
 * failure here (rethrown: SQS delivers the record again) or a crash just before it is repaired
 * by the next delivery, which finds the image finished and only publishes. (Found by the chaos
 * suite: as best effort, a crash between DONE and this write left the key without its LATEST
 * row for good.)
 */
async function publishLatest(
  deps: PipelineDeps,
  log: PipelineLogger,
  item: WorkItem,
  version: string,
  /** The finished row as last read or written, when at hand: saves reading it again. */
  known?: ImageRow,
) {
  try {
    const rowKey = imageRowKey({
      bucket: item.bucket,
      key: item.key,
      version,
      configHash: deps.configHash,
    });
    const row = known ?? (await deps.table.get(rowKey));
    if (!row) return;
    const {
      pk: _pk,
      sk: _sk,
      history: _history,
      leaseOwner: _owner,
      leaseUntil: _until,
      ...copy
    } = row;
    const written = await deps.table.putLatest(
      latestRowKey({ ...item, configHash: deps.configHash }),
      {
        ...copy,
        latestOf: rowKey.sk,
        sequencerKey: sequencerKey(item.sequencer),
      },
    );
    if (!written)
      log.info('a later version already holds the LATEST row', { sequencer: item.sequencer });
  } catch (error) {
    log.warn('could not update the LATEST row; the record is retried', {
      error: errorMessage(error),
    });
    throw error;
  }
}

/**
 * @param hardLimit epoch ms by which this invocation must be done; no lease outlives it.
 * @param signal aborted when the record is abandoned (the batch's deadline): the image leaves the
 *   pixel pool and nothing more is written for it; its reason is what this call rejects with.
 */
export async function processRecord(
  deps: PipelineDeps,
  record: QueueRecord,
  hardLimit: number,
  signal?: AbortSignal,
): Promise<RecordOutcome> {
  const started = Date.now();
  const policy = deps.lease ?? defaultLeasePolicy;
  const parsed = parseWorkItem(record);
  assertServed(record, parsed, deps.uploads);
  const item = await resolveEventKey(deps.store, parsed, deps.log, signal);
  // A decoded key is checked again: it must be under the prefix too.
  if (item !== parsed) assertServed(record, item, deps.uploads);
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
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
  const owner = `${record.messageId}/${randomUUID()}`;
  // Every line about this image names it and the message that carried it.
  const log = withFields(deps.log, { imageKey: item.key, messageId: record.messageId });

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
    leaseUntil: leaseUntil(policy, hardLimit),
    receiveCount,
    now: new Date(),
    history: {
      at: new Date().toISOString(),
      event: 'claimed',
      messageId: record.messageId,
      receiveCount,
      origin: item.origin,
    },
  });
  if (claim.outcome === 'terminal') {
    log.debug('duplicate of a finished image', { status: claim.row.status });
    settled(deps, claim.row);
    // The write is conditional on the sequencer: an old event changes nothing.
    await publishLatest(deps, log, item, version, claim.row);
    return { kind: 'duplicate', key: item.key, status: claim.row.status };
  }
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

  // The heartbeat runs only while the image is worked on, and stops before the final write.
  const stopHeartbeat = startLeaseHeartbeat(deps.table, rowKey, owner, policy, hardLimit, log, () =>
    deps.extendVisibility?.(record),
  );
  let made: MadeRenditions;
  try {
    made = await makeRenditions(deps, item, version, signal);
  } catch (error) {
    if (signal?.aborted) {
      // Abandoned: whoever gave up on it reports it; the next holder of the lease finishes it.
      await stopHeartbeat();
      throw signal.reason;
    }
    await stopHeartbeat();
    if (error instanceof ImageRejectedError) {
      const rejected = await deps.table.markRejected(
        rowKey,
        owner,
        {
          reason: error.reason,
          message: error.message,
          processingMs: Date.now() - started,
          ...(error.usage ? { cpuMs: error.usage.cpuMs, peakMb: error.usage.peakMb } : {}),
        },
        new Date(),
      );
      const processingMs = Date.now() - started;
      log.info('image rejected', { reason: error.reason, detail: error.message, processingMs });
      reportOutcome(deps.metrics, { kind: 'rejected', reason: error.reason, processingMs }, log);
      settled(deps, rejected);
      await publishLatest(deps, log, item, version, rejected);
      return { kind: 'rejected', key: item.key, reason: error.reason };
    }
    const final = receiveCount >= deps.maxReceiveCount;
    const lastError = await markFailed(deps, log, rowKey, owner, error, final);
    log.warn(final ? 'image failed; its message goes to the DLQ' : 'image failed; will retry', {
      receiveCount,
      code: lastError.code,
      error: lastError.message,
    });
    const processingMs = Date.now() - started;
    reportOutcome(deps.metrics, { kind: 'failed', code: lastError.code, final, processingMs }, log);
    throw error;
  }
  await stopHeartbeat();
  signal?.throwIfAborted();
  const processingMs = Date.now() - started;
  const done = await markDone(deps, log, rowKey, owner, made, processingMs);
  if (done) settled(deps, done, made.stored);
  const renditionBytes = made.renditions.reduce((sum, r) => sum + r.bytes, 0);
  log.info('image done', { renditions: made.renditions.length, renditionBytes, processingMs });
  reportOutcome(
    deps.metrics,
    { kind: 'done', processingMs, renditions: made.renditions.length, renditionBytes },
    log,
  );
  await publishLatest(deps, log, item, version, done);
  return { kind: 'done', key: item.key, renditions: made.renditions.length };
}
