/**
 * The end of every path through the per-image flow (process-record.ts): one place that logs the
 * outcome, reports it to the metrics, tells whoever follows rows (`onSettled`), and mirrors a
 * finished version onto its key's LATEST row. A transient failure ends here too: recorded on the
 * row, logged and reported, then rethrown by the flow for SQS to deliver again.
 */
import {
  type ImageRow,
  imageRowKey,
  type LastError,
  latestRowKey,
  sequencerKey,
} from '../../events/image-row.ts';
import type { WorkItem } from '../../events/work-item.ts';
import type { RowKey } from '../aws/image-table.ts';
import type { ImageRejectedError } from '../imaging/errors.ts';
import { errorCode, errorMessage } from './errors.ts';
import type { PipelineLogger } from './log.ts';
import type { MadeRenditions } from './make-renditions.ts';
import { reportOutcome } from './metrics.ts';
import type { PipelineDeps, RecordOutcome } from './process-record.ts';

/** One claimed (or claim-attempted) record: what every step after the claim needs. */
export interface RecordContext {
  readonly deps: PipelineDeps;
  /** Names the image and the message on every line. */
  readonly log: PipelineLogger;
  readonly item: WorkItem;
  readonly version: string;
  readonly rowKey: RowKey;
  readonly owner: string;
  readonly receiveCount: number;
  /** The flow's one clock (epoch ms). */
  readonly now: () => number;
  /** When the record started, by that clock. */
  readonly started: number;
}

/** How a record ended; `row` is the row as written, undefined when another holder took it over. */
export type Settlement =
  | { readonly kind: 'duplicate'; readonly row: ImageRow }
  | {
      readonly kind: 'done';
      readonly row: ImageRow | undefined;
      readonly made: MadeRenditions;
      /** As written on the row (the time until the DONE write). */
      readonly processingMs: number;
    }
  | {
      readonly kind: 'rejected';
      readonly row: ImageRow | undefined;
      readonly error: ImageRejectedError;
    };

/** Tells whoever follows outcomes (never failing the record for it). */
function tell(ctx: RecordContext, row: ImageRow, stored?: ReadonlyMap<string, Buffer>): void {
  try {
    ctx.deps.onSettled?.(row, stored);
  } catch (error) {
    ctx.log.warn('could not report a settled row', { error: errorMessage(error) });
  }
}

/**
 * Mirrors a finished version onto its key's LATEST row, unless a later event got there first.
 * It runs after the outcome is written and again for every duplicate of a finished image, so a
 * failure here (rethrown: SQS delivers the record again) or a crash just before it is repaired
 * by the next delivery, which finds the image finished and only publishes. (Found by the chaos
 * suite: as best effort, a crash between DONE and this write left the key without its LATEST
 * row for good.)
 */
async function publishLatest(ctx: RecordContext, known: ImageRow | undefined): Promise<void> {
  const { deps, item } = ctx;
  try {
    const rowKey = imageRowKey({
      bucket: item.bucket,
      key: item.key,
      version: ctx.version,
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
      { ...copy, latestOf: rowKey.sk, sequencerKey: sequencerKey(item.sequencer) },
    );
    if (!written)
      ctx.log.info('a later version already holds the LATEST row', { sequencer: item.sequencer });
  } catch (error) {
    ctx.log.warn('could not update the LATEST row; the record is retried', {
      error: errorMessage(error),
    });
    throw error;
  }
}

/** Logs, reports and tells the outcome, then publishes the LATEST row. */
export async function settle(ctx: RecordContext, end: Settlement): Promise<RecordOutcome> {
  const { deps, log, item } = ctx;
  const processingMs = end.kind === 'done' ? end.processingMs : ctx.now() - ctx.started;
  let outcome: RecordOutcome;
  if (end.kind === 'duplicate') {
    log.debug('duplicate of a finished image', { status: end.row.status });
    tell(ctx, end.row);
    outcome = { kind: 'duplicate', key: item.key, status: end.row.status };
  } else if (end.kind === 'done') {
    const { renditions, stored } = end.made;
    if (end.row) tell(ctx, end.row, stored);
    const renditionBytes = renditions.reduce((sum, r) => sum + r.bytes, 0);
    const reused = renditions.filter((r) => r.reusedFrom !== undefined).length;
    const copied = renditions.filter((r) => r.copiedFrom !== undefined).length;
    log.info('image done', {
      renditions: renditions.length,
      renditionBytes,
      processingMs,
      ...(reused > 0 ? { reused } : {}),
      ...(copied > 0 ? { copied, duplicateOf: end.made.duplicateOf?.pk } : {}),
    });
    reportOutcome(
      deps.metrics,
      { kind: 'done', processingMs, renditions: renditions.length, renditionBytes },
      log,
    );
    outcome = { kind: 'done', key: item.key, renditions: renditions.length };
  } else {
    const { reason, message } = end.error;
    log.info('image rejected', { reason, detail: message, processingMs });
    reportOutcome(deps.metrics, { kind: 'rejected', reason, processingMs }, log);
    if (end.row) tell(ctx, end.row);
    outcome = { kind: 'rejected', key: item.key, reason };
  }
  // The write is conditional on the sequencer: an old event changes nothing.
  await publishLatest(ctx, end.row);
  return outcome;
}

/**
 * A transient failure: RETRYING on the row (FAILED on the last allowed receive), told, logged
 * and reported. Recording it is best effort: the caller rethrows the error itself either way.
 */
export async function settleFailure(ctx: RecordContext, error: unknown): Promise<void> {
  const { deps, log, receiveCount } = ctx;
  const final = receiveCount >= deps.maxReceiveCount;
  const lastError: LastError = {
    code: errorCode(error),
    message: errorMessage(error).slice(0, 1000),
    at: new Date(ctx.now()).toISOString(),
  };
  try {
    const row = await deps.table.recordFailure(
      ctx.rowKey,
      ctx.owner,
      { lastError, final },
      new Date(ctx.now()),
    );
    // FAILED is an outcome; RETRYING is told too, so a run can say what is retrying and why.
    tell(ctx, row);
  } catch (recordError) {
    log.warn('could not record the failure on the row', { error: errorMessage(recordError) });
  }
  log.warn(final ? 'image failed; its message goes to the DLQ' : 'image failed; will retry', {
    receiveCount,
    code: lastError.code,
    error: lastError.message,
  });
  const processingMs = ctx.now() - ctx.started;
  reportOutcome(deps.metrics, { kind: 'failed', code: lastError.code, final, processingMs }, log);
}
