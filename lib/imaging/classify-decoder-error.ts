import type { RejectionReason } from '../../events/rejection-reasons.ts';
import { ImageRejectedError } from './errors.ts';

/**
 * Turns a libvips/sharp failure on an image into a rejection reason. Decoder errors are facts
 * about the bytes, so they are permanent. The patterns are libvips' and its codecs' own words.
 */
const patterns: readonly [RegExp, RejectionReason][] = [
  [/exceeds pixel limit/i, 'pixel-limit'],
  [/timeout/i, 'timeout'],
  [/unsupported image format|is blocked|operation is blocked/i, 'format-not-allowed'],
  [
    /premature end|truncated|unexpected end|end of (file|stream|data)|not enough data/i,
    'truncated',
  ],
];

export function rejectionFromDecoderError(error: unknown, context: string): ImageRejectedError {
  const message = error instanceof Error ? error.message : String(error);
  const reason = patterns.find(([pattern]) => pattern.test(message))?.[1] ?? 'corrupt';
  const firstLine = message.split('\n')[0]?.trim() || 'unknown decoder error';
  return new ImageRejectedError(reason, `${context}: ${firstLine}`, { cause: error });
}
