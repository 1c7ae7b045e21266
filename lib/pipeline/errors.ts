/**
 * The pipeline's error taxonomy. Permanent problems with an image become REJECTED rows and are
 * acknowledged; everything else is transient: the record is reported in `batchItemFailures`, SQS
 * delivers it again after the visibility timeout, and after `maxReceiveCount` receives it sits in
 * the DLQ with its last error on the image's row.
 */
import { EventParseError, WorkItemRefusedError } from '../../events/errors.ts';
import { AwsAdapterError } from '../aws/errors.ts';
import { PixelPoolError } from '../imaging/errors.ts';

export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
  /** A short stable code for rows, logs and metrics. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Another worker holds a live lease on this image (a duplicate event is being processed). */
export class LeaseBusyError extends PipelineError {
  override readonly name = 'LeaseBusyError';
  readonly leaseUntil: number | undefined;
  constructor(message: string, leaseUntil: number | undefined) {
    super('lease-busy', message);
    this.leaseUntil = leaseUntil;
  }
}

/** The batch ran out of time before this record could be started or finished. */
export class DeadlineError extends PipelineError {
  override readonly name = 'DeadlineError';
}

/** What to write in `lastError` for any error. */
export function errorCode(error: unknown): string {
  if (error instanceof PipelineError) return error.code;
  if (error instanceof AwsAdapterError) return error.code;
  if (error instanceof PixelPoolError) return error.code;
  if (error instanceof WorkItemRefusedError) return error.code;
  if (error instanceof EventParseError) return 'malformed-message';
  if (error instanceof Error) return error.name;
  return 'unknown';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
