/**
 * Reads what an image claims to be from its header, before any pixel is decoded, and refuses it
 * if the claim is over a limit. A 71-byte PNG can declare 8224 × 8224 pixels; decoding it would
 * allocate 200 MB. Reading the header costs microseconds.
 *
 * For HEIF/AVIF the header is not what is decoded: a grid's tiles, an item's AV1 bitstream and an
 * alpha plane each have sizes of their own, so the pixel limit is checked against what the
 * container says the decoder will decode (heif-decode-cost.ts), not only against `ispe`.
 */
import sharp, { type FailOnOptions, type Metadata } from 'sharp';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { rejectionFromDecoderError } from './classify-decoder-error.ts';
import { ImageRejectedError } from './errors.ts';
import { type HeicHeader, readHeicHeader } from './heic-header.ts';
import { heifDecodeCost } from './heif-decode-cost.ts';
import { BoxStructureError } from './iso-boxes.ts';
import { isAllowedFormat, type SourceFormat } from './loader-policy.ts';
import { sniffFormat } from './sniff.ts';

export interface ImageHeader {
  readonly format: SourceFormat;
  /** Upright dimensions: after the EXIF orientation is applied. */
  readonly width: number;
  readonly height: number;
  readonly orientation: number;
  readonly frames: number;
  readonly hasAlpha: boolean;
  readonly space: string;
  readonly depth: string;
  /** The decoder's strictness for this format (see `input.tiffFailOn`). */
  readonly failOn: FailOnOptions;
  /** The raw EXIF block, when the source has one. */
  readonly exif?: Buffer | undefined;
  /** For a HEIC (decoded by libheif-js, not libvips): its container's header. */
  readonly heic?: HeicHeader | undefined;
}

/** Exact counts: "50.0 MP; the limit is 50.0 MP" hid a one-pixel difference. */
const count = (n: number) => n.toLocaleString('en-US');

/** Refuses a HEIF/AVIF whose items decode to more pixels than the limit, whatever `ispe` says. */
function checkHeifDecodeCost(input: Buffer, format: string, maxPixels: number): void {
  let cost: ReturnType<typeof heifDecodeCost>;
  try {
    cost = heifDecodeCost(input);
  } catch (error) {
    if (!(error instanceof BoxStructureError)) throw error;
    throw new ImageRejectedError(
      'corrupt',
      `The ${format.toUpperCase()} container is invalid: ${error.message}`,
      { cause: error },
    );
  }
  if (cost && cost.pixels > maxPixels) {
    throw new ImageRejectedError(
      'pixel-limit',
      `The ${format.toUpperCase()} decodes to ${count(cost.pixels)} pixels (${cost.description}); ` +
        `the limit is ${count(maxPixels)}`,
    );
  }
}

export async function probeImage(input: Buffer, config: PixelmillConfig): Promise<ImageHeader> {
  const { limits } = config;
  if (input.length === 0) throw new ImageRejectedError('empty', 'The object has no bytes');
  if (input.length > limits.maxBytes) {
    throw new ImageRejectedError(
      'byte-limit',
      `The object has ${input.length} bytes, over the limit of ${limits.maxBytes}`,
    );
  }
  const sniffed = sniffFormat(input);
  if (sniffed === undefined) {
    throw new ImageRejectedError(
      'unrecognised-format',
      'The bytes do not start with the signature of any known image format',
    );
  }
  if (!isAllowedFormat(sniffed, config.input.formats)) {
    throw new ImageRejectedError(
      'format-not-allowed',
      `The bytes are ${sniffed.toUpperCase()}, which is not an allowed input format`,
    );
  }
  if (sniffed === 'avif' || sniffed === 'heic')
    checkHeifDecodeCost(input, sniffed, limits.maxPixels);
  if (sniffed === 'heic') return probeHeic(input, config);
  const failOn: FailOnOptions = sniffed === 'tiff' ? config.input.tiffFailOn : 'warning';
  let meta: Metadata;
  try {
    meta = await sharp(input, { failOn, limitInputPixels: false }).metadata();
  } catch (error) {
    throw rejectionFromDecoderError(error, `Reading the ${sniffed.toUpperCase()} header failed`, {
      format: sniffed,
      bytes: input,
    });
  }
  const storedWidth = meta.width;
  const storedHeight = meta.height;
  if (!storedWidth || !storedHeight || storedWidth < 1 || storedHeight < 1) {
    throw new ImageRejectedError('corrupt', 'The header declares no valid dimensions');
  }
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  const frames = Math.max(1, meta.pages ?? 1);
  const width = swap ? storedHeight : storedWidth;
  const height = swap ? storedWidth : storedHeight;
  const animating = config.input.animated === 'animate' && frames > 1;
  const pixels = width * height * (animating ? frames : 1);
  if (pixels > limits.maxPixels) {
    throw new ImageRejectedError(
      'pixel-limit',
      `The header declares ${width} × ${height}${animating ? ` × ${frames} frames` : ''} = ` +
        `${count(pixels)} pixels; the limit is ${count(limits.maxPixels)}`,
    );
  }
  if (Math.max(width, height) > limits.maxDimension) {
    throw new ImageRejectedError(
      'dimension-limit',
      `The header declares ${width} × ${height}; the longest side allowed is ${limits.maxDimension}`,
    );
  }
  if (animating && frames > limits.maxFrames) {
    throw new ImageRejectedError(
      'frame-limit',
      `The image has ${frames} frames; the limit is ${limits.maxFrames}`,
    );
  }
  return {
    format: sniffed,
    width,
    height,
    orientation,
    frames,
    hasAlpha: meta.hasAlpha ?? false,
    space: meta.space ?? 'unknown',
    depth: meta.depth ?? 'unknown',
    failOn,
    exif: meta.exif,
  };
}

/**
 * A HEIC's header from its container alone (heic-header.ts): libvips never sees its bytes. Its
 * size is upright by HEIF's own rotation; EXIF orientation is never applied on top (orientation 1).
 */
function probeHeic(input: Buffer, config: PixelmillConfig): ImageHeader {
  let heic: HeicHeader;
  try {
    heic = readHeicHeader(input);
  } catch (error) {
    if (!(error instanceof BoxStructureError)) throw error;
    throw new ImageRejectedError('corrupt', `The HEIC container is invalid: ${error.message}`, {
      cause: error,
    });
  }
  const { width, height } = heic;
  if (width * height > config.limits.maxPixels) {
    throw new ImageRejectedError(
      'pixel-limit',
      `The header declares ${width} × ${height} = ${count(width * height)} pixels; ` +
        `the limit is ${count(config.limits.maxPixels)}`,
    );
  }
  if (Math.max(width, height) > config.limits.maxDimension) {
    throw new ImageRejectedError(
      'dimension-limit',
      `The header declares ${width} × ${height}; the longest side allowed is ${config.limits.maxDimension}`,
    );
  }
  return {
    format: 'heic',
    width,
    height,
    orientation: 1,
    frames: 1,
    hasAlpha: heic.hasAlpha,
    space: 'srgb',
    depth: 'uchar',
    failOn: 'warning',
    heic,
  };
}
