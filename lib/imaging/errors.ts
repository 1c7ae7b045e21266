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
  /** What the image's own work cost before it was refused (from the pixel pool). */
  readonly usage: ImageUsage | undefined;
  constructor(
    reason: RejectionReason,
    message: string,
    options?: ErrorOptions & { usage?: ImageUsage | undefined },
  ) {
    super(message, options);
    this.reason = reason;
    this.usage = options?.usage;
  }
}

/** What one image's decode and encode cost its pixel process (see pool/pixel-pool.ts). */
export interface ImageUsage {
  /** CPU time over every thread of the process, ms. */
  readonly cpuMs: number;
  /** The process's peak resident memory while it worked on the image, MiB. */
  readonly peakMb: number;
}

/**
 * The pixel pool could not finish an image for a reason that is not the image's own: its child
 * process died (killed by the system, a decoder crash), or made no progress because it got no
 * CPU. Transient: the record is retried, and after its receives are spent it is in the DLQ with
 * this code on its row.
 */
export class PixelPoolError extends ImagingError {
  override readonly name = 'PixelPoolError';
  readonly code: 'pixel-worker-crashed' | 'pixel-worker-starved' | 'pixel-pool-closed';
  constructor(code: PixelPoolError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
