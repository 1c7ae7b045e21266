/**
 * The record loop of one invocation. It returns one settled result per record, in the order of
 * the records, which @middy/sqs-partial-batch-failure turns into `batchItemFailures`.
 *
 * The loop keeps its own deadline, `safetyMarginMs` before the function's: it starts no record
 * once too little time is left, and reports a record that is still running at the deadline as
 * failed while the records that finished are reported as done. If the function itself timed out
 * instead, Lambda would treat the whole batch as failed and redeliver finished records too.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 *
 * When a record fails it also decides when SQS shows it again (ChangeMessageVisibility): a
 * transient error after an exponential backoff, a duplicate of an image in progress when that
 * lease can next expire, a record on its last allowed receive at once (so it reaches the DLQ now,
 * not a visibility timeout later). A message that is not a work item at all goes straight to the
 * DLQ with its reason: retrying cannot fix it. A record cut off by the deadline on its last
 * receives is deferred instead (events/deferral.ts): it only waited behind its batch.
 *
 * A record still running at the deadline is also stopped: its signal aborts, which takes its
 * image out of the pixel pool (killing the process if it was rendering) and keeps it from writing
 * anything more, so abandoned work holds no process a later image needs.
 */
import { BATCH_TIMING } from '../../events/config/batch-timing.ts';
import { deferralsOf, MAX_DEFERRALS } from '../../events/deferral.ts';
import { EventParseError } from '../../events/errors.ts';
import { backoffSeconds, RETRY_BACKOFF, type RetryBackoff } from '../../events/retry-schedule.ts';
import { withTimeout } from '../async/with-timeout.ts';
import { DeadlineError, errorCode, errorMessage, LeaseBusyError } from './errors.ts';
import {
  type PipelineDeps,
  processRecord,
  type QueueRecord,
  type RecordOutcome,
  receiveCountOf,
} from './process-record.ts';

export interface BatchOptions {
  /** Stop `safetyMarginMs` before the invocation's own deadline. */
  readonly safetyMarginMs: number;
  /** Do not start a record with less than this left before the loop's deadline. */
  readonly minRecordMs: number;
  /** Records processed at the same time within one batch. */
  readonly concurrency: number;
  readonly backoff: RetryBackoff;
}

export const defaultBatchOptions: BatchOptions = { ...BATCH_TIMING, backoff: RETRY_BACKOFF };

export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

/** SQS's largest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

/** How the batch talks back to SQS about a record; absent hooks leave SQS's defaults. */
export interface BatchHooks {
  /** Makes a failed record visible again after `seconds` (ChangeMessageVisibility, ≥ 1). */
  readonly retryLater?: (record: QueueRecord, seconds: number) => Promise<void>;
  /** Sends a record that can never succeed to the DLQ, with its reason (then it is acked). */
  readonly deadLetterNow?: (record: QueueRecord, error: Error) => Promise<void>;
  /**
   * Sends a copy of a record's message to its own queue, visible after `delaySeconds`, carrying
   * `deferrals` (then the original is acked): a new message, whose receives count from one.
   */
  readonly requeue?: (
    record: QueueRecord,
    copy: { readonly delaySeconds: number; readonly deferrals: number },
  ) => Promise<void>;
}

/** When a failed record should be seen again, or undefined to leave the visibility timeout. */
function retryDelay(
  error: unknown,
  receiveCount: number,
  deps: PipelineDeps,
  options: BatchOptions,
): number | undefined {
  if (error instanceof LeaseBusyError) {
    const now = (deps.now ?? Date.now)();
    return Math.ceil(((error.leaseUntil ?? now) - now) / 1000) + 1;
  }
  if (error instanceof DeadlineError) {
    // Never started: soon. Still running: once its lease (bounded by the deadline) has lapsed.
    return error.code === 'deadline-unstarted' ? 1 : Math.ceil(options.safetyMarginMs / 1000) + 1;
  }
  // Spent: show it again at once so the next receive moves it to the DLQ now.
  if (receiveCount >= deps.maxReceiveCount) return 1;
  return backoffSeconds(options.backoff, receiveCount);
}

/**
 * Writes the batch's changes to the table's counts (a few UpdateItems for the whole batch, not
 * one per image). Counts are advisory: a failed flush is logged and counted, never a failed
 * record (the rows are written; a recount repairs the counts).
 */
async function flushCounts(deps: PipelineDeps): Promise<void> {
  try {
    await deps.table.flushCounts();
  } catch (error) {
    deps.log.warn("could not write the batch's changes to the table's counts", {
      code: errorCode(error),
      error: errorMessage(error),
    });
    try {
      deps.metrics?.recordCountsFlushFailure?.();
    } catch {
      // A metrics problem changes nothing here either.
    }
  }
}

export async function processBatch(
  deps: PipelineDeps,
  records: readonly QueueRecord[],
  clock: InvocationClock,
  options: BatchOptions = defaultBatchOptions,
  hooks: BatchHooks = {},
): Promise<PromiseSettledResult<RecordOutcome>[]> {
  const now = deps.now ?? Date.now;
  const deadline = now() + clock.getRemainingTimeInMillis() - options.safetyMarginMs;
  const results: PromiseSettledResult<RecordOutcome>[] = new Array(records.length);
  let next = 0;

  const attempt = async (record: QueueRecord, receiveCount: number): Promise<RecordOutcome> => {
    const left = deadline - now();
    if (left < options.minRecordMs) {
      throw new DeadlineError(
        'deadline-unstarted',
        `Not started: ${Math.max(0, left)} ms left in the invocation (need ${options.minRecordMs})`,
      );
    }
    return withTimeout(
      left,
      () => new DeadlineError('deadline-running', 'Still running at the invocation deadline'),
      (signal) =>
        processRecord(deps, record, {
          hardLimit: deadline + options.safetyMarginMs,
          receiveCount,
          signal,
        }),
    );
  };

  /**
   * A record the deadline cut off on its last receives: a copy goes back on the queue (counted
   * from one) and the original is acknowledged. Undefined when it is not such a record, or the
   * copy could not be sent (then it fails as any record does).
   */
  const defer = async (record: QueueRecord, receiveCount: number, error: DeadlineError) => {
    const deferrals = deferralsOf(record.messageAttributes);
    if (!hooks.requeue || receiveCount < deps.maxReceiveCount - 1) return undefined;
    if (deferrals >= MAX_DEFERRALS) return undefined;
    try {
      await hooks.requeue(record, {
        delaySeconds: retryDelay(error, receiveCount, deps, options) ?? 1,
        deferrals: deferrals + 1,
      });
    } catch (requeueError) {
      deps.log.warn('could not defer a record the deadline cut off', {
        messageId: record.messageId,
        error: errorMessage(requeueError),
      });
      return undefined;
    }
    deps.log.info('deferred: the invocation ran out of time before this record', {
      messageId: record.messageId,
      code: error.code,
      deferrals: deferrals + 1,
    });
    return { kind: 'deferred', code: error.code } as const;
  };

  const runOne = async (record: QueueRecord): Promise<RecordOutcome> => {
    const receiveCount = receiveCountOf(record);
    try {
      return await attempt(record, receiveCount);
    } catch (error) {
      if (error instanceof EventParseError && hooks.deadLetterNow) {
        await hooks.deadLetterNow(record, error);
        deps.log.warn('not a work item; sent to the DLQ at once', {
          messageId: record.messageId,
          code: errorCode(error),
          error: errorMessage(error),
        });
        return { kind: 'dead-lettered', code: errorCode(error) };
      }
      if (error instanceof DeadlineError) {
        const deferred = await defer(record, receiveCount, error);
        if (deferred) return deferred;
      }
      const delay = retryDelay(error, receiveCount, deps, options);
      if (delay !== undefined && hooks.retryLater) {
        await hooks
          .retryLater(record, Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, delay)))
          .catch((e: unknown) => {
            deps.log.warn('could not set when the record comes back', {
              messageId: record.messageId,
              error: errorMessage(e),
            });
          });
      }
      throw error;
    }
  };

  const lane = async () => {
    while (next < records.length) {
      const index = next++;
      const record = records[index];
      if (record === undefined) continue;
      try {
        results[index] = { status: 'fulfilled', value: await runOne(record) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
  await flushCounts(deps);
  return results;
}
