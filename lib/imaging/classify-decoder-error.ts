import type { RejectionReason } from '../../events/rejection-reasons.ts';
import { ImageRejectedError } from './errors.ts';
import type { SourceFormat } from './loader-policy.ts';
import { looksTruncated } from './truncation.ts';

/**
 * Turns a libvips/sharp failure on an image into a rejection reason. Decoder errors are facts
 * about the bytes, so they are permanent. The patterns are libvips' and its codecs' own words;
 * truncation is decided from the file's structure when the words are ambiguous.
 */
const patterns: readonly [RegExp, RejectionReason][] = [
  [/exceeds pixel limit/i, 'pixel-limit'],
  [/timeout/i, 'timeout'],
  [/unsupported image format|is blocked|operation is blocked/i, 'format-not-allowed'],
];

export function rejectionFromDecoderError(
  error: unknown,
  context: string,
  source?: { format: SourceFormat; bytes: Buffer },
): ImageRejectedError {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]?.trim() || 'unknown decoder error';
  const reason =
    patterns.find(([pattern]) => pattern.test(message))?.[1] ??
    (source && looksTruncated(source.format, source.bytes) ? 'truncated' : 'corrupt');
  return new ImageRejectedError(reason, `${context}: ${firstLine}`, { cause: error });
}
