/**
 * The record loop of one invocation. It returns one settled result per record, in the order of
 * the records, which @middy/sqs-partial-batch-failure turns into `batchItemFailures`.
 *
 * The loop keeps its own deadline, `safetyMarginMs` before the function's: it starts no record
 * once too little time is left, and reports a record that is still running at the deadline as
 * failed while the records that finished are reported as done. If the function itself timed out
 * instead, Lambda would treat the whole batch as failed and redeliver finished records too.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import { DeadlineError, LeaseBusyError } from './errors.ts';
import {
  type PipelineDeps,
  processRecord,
  type QueueRecord,
  type RecordOutcome,
} from './process-record.ts';

export interface BatchOptions {
  /** Stop `safetyMarginMs` before the invocation's own deadline. */
  readonly safetyMarginMs: number;
  /** Do not start a record with less than this left before the loop's deadline. */
  readonly minRecordMs: number;
  /** Records processed at the same time within one batch. */
  readonly concurrency: number;
}

export const defaultBatchOptions: BatchOptions = {
  safetyMarginMs: 5_000,
  minRecordMs: 5_000,
  concurrency: 2,
};

export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

/** SQS's largest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

/** Makes a failed record visible again after `seconds` (SQS ChangeMessageVisibility). */
export type RetryLater = (record: QueueRecord, seconds: number) => Promise<void>;

export async function processBatch(
  deps: PipelineDeps,
  records: readonly QueueRecord[],
  clock: InvocationClock,
  options: BatchOptions = defaultBatchOptions,
  retryLater?: RetryLater,
): Promise<PromiseSettledResult<RecordOutcome>[]> {
  const deadline = Date.now() + clock.getRemainingTimeInMillis() - options.safetyMarginMs;
  const results: PromiseSettledResult<RecordOutcome>[] = new Array(records.length);
  let next = 0;

  const runOne = async (record: QueueRecord) => {
    const left = deadline - Date.now();
    if (left < options.minRecordMs) {
      throw new DeadlineError(
        'deadline',
        `Not started: ${Math.max(0, left)} ms left in the invocation (need ${options.minRecordMs})`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DeadlineError('deadline', 'Still running at the invocation deadline')),
        left,
      );
    });
    try {
      return await Promise.race([
        processRecord(deps, record, deadline + options.safetyMarginMs),
        timeout,
      ]);
    } catch (error) {
      if (error instanceof LeaseBusyError && retryLater) {
        // A duplicate of an image in progress: come back when that lease can next have expired,
        // not after the full visibility timeout, and never count as a real failure for long.
        const seconds = Math.ceil(((error.leaseUntil ?? Date.now()) - Date.now()) / 1000) + 1;
        await retryLater(record, Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, seconds))).catch(
          () => undefined,
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
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
  return results;
}
