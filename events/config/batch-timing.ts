/**
 * The record loop's timing (lib/pipeline/process-batch.ts), which also sizes the function that
 * runs it (infra/cdk/worker-sizing.ts): the timeout must leave one image at the per-image limit
 * room to start and finish before the loop's own deadline, and the memory must hold the records
 * it works on at once.
 */
export const BATCH_TIMING = {
  /** The loop stops this long before the invocation's own deadline. */
  safetyMarginMs: 5_000,
  /** The loop starts no record with less than this left before its deadline. */
  minRecordMs: 5_000,
  /** Records one invocation works on at the same time. */
  concurrency: 2,
} as const;
