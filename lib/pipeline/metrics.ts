/**
 * What the pipeline reports about each attempt that reaches an outcome, for the worker to turn
 * into metrics (on Lambda: Powertools' embedded metric format, see workers/telemetry.ts). lib/
 * stays free of any metrics library; a worker that measures nothing passes nothing.
 */
import type { PipelineLogger } from './log.ts';

export type ImageOutcome =
  /** Every rendition written and the row marked DONE. */
  | {
      readonly kind: 'done';
      readonly processingMs: number;
      readonly renditions: number;
      readonly renditionBytes: number;
    }
  /** The image's fault: marked REJECTED with `reason` (events/rejection-reasons.ts). */
  | { readonly kind: 'rejected'; readonly reason: string; readonly processingMs: number }
  /** A transient error: the record is retried, or goes to the DLQ when `final`. */
  | {
      readonly kind: 'failed';
      readonly code: string;
      readonly final: boolean;
      readonly processingMs: number;
    };

export interface PipelineMetrics {
  recordOutcome(outcome: ImageOutcome): void;
  /** A batch's changes to the table's counts could not be written (the counts now drift). */
  recordCountsFlushFailure?(): void;
}

export const noMetrics: PipelineMetrics = { recordOutcome() {} };

/**
 * Reports an outcome without letting a metrics problem change it: the outcome is already written
 * to the table, and failing the record now would only make SQS deliver a finished image again.
 */
export function reportOutcome(
  metrics: PipelineMetrics | undefined,
  outcome: ImageOutcome,
  log: PipelineLogger,
): void {
  try {
    metrics?.recordOutcome(outcome);
  } catch (error) {
    log.warn('could not record the outcome metrics', {
      outcome: outcome.kind,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
