import type { RejectionReason } from '../../events/rejection-reasons.ts';

/** Errors of the imaging module. */
export class ImagingError extends Error {
  override readonly name: string = 'ImagingError';
}

/**
 * The image itself is unacceptable: the same bytes would fail again, so the pipeline records it as
 * REJECTED with this reason and never retries it.
 */
export class ImageRejectedError extends ImagingError {
  override readonly name = 'ImageRejectedError';
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
