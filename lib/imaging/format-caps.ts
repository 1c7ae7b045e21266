/**
 * The largest side each output format can hold. A long screenshot (1000 × 20000) is a normal
 * upload, but WebP cannot store a side over 16,383 px (its bitstream has 14 bits per dimension),
 * nor libheif's AVIF encoder over 16,384: such a rendition is made as large as the format allows,
 * fitted inside the cap with its aspect ratio kept, and says so in its `note` — never a false
 * `corrupt`. The values are sharp's own checks (AssertImageTypeDimensions) and libjpeg's 65,500.
 */
import type { OutputFormat } from '../../events/config/schema.ts';

export const formatMaxSide: Readonly<Record<OutputFormat, number>> = {
  jpeg: 65_500,
  webp: 16_383,
  avif: 16_384,
  gif: 65_535,
  png: 2 ** 31 - 1,
};

const names: Readonly<Record<OutputFormat, string>> = {
  jpeg: 'JPEG',
  webp: 'WebP',
  avif: 'AVIF',
  gif: 'GIF',
  png: 'PNG',
};

export interface CappedSize {
  readonly width: number;
  readonly height: number;
  /** Why the size differs from what the preset asked for. */
  readonly note: string;
}

/** The size that fits `format`'s cap, or undefined when `width` × `height` already fits. */
export function fitFormatCap(
  format: OutputFormat,
  width: number,
  height: number,
): CappedSize | undefined {
  const cap = formatMaxSide[format];
  if (width <= cap && height <= cap) return undefined;
  const scale = cap / Math.max(width, height);
  const fitted =
    width >= height
      ? { width: cap, height: Math.max(1, Math.min(cap, Math.round(height * scale))) }
      : { width: Math.max(1, Math.min(cap, Math.round(width * scale))), height: cap };
  return {
    ...fitted,
    note: `fitted inside ${cap} × ${cap}, the largest ${names[format]} can hold (asked for ${width} × ${height})`,
  };
}
