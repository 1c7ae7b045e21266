/**
 * The one decode: the source, auto-oriented (EXIF and HEIF rotation), converted to 8-bit sRGB
 * through its ICC profile (or the CMYK fallback profile), first frame only, at the smallest size
 * every preset can be made from, using the decoder's shrink-on-load where the format has it.
 */
import sharp from 'sharp';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { rejectionFromDecoderError } from './classify-decoder-error.ts';
import { intermediateSize } from './plan.ts';
import type { ImageHeader } from './probe.ts';

export interface Decoded {
  readonly data: Buffer;
  readonly info: {
    readonly width: number;
    readonly height: number;
    readonly channels: 1 | 2 | 3 | 4;
  };
}

export async function decodeIntermediate(
  input: Buffer,
  header: ImageHeader,
  config: PixelmillConfig,
): Promise<Decoded> {
  const size = intermediateSize(config.presets, header.width, header.height);
  let pipeline = sharp(input, {
    failOn: header.failOn,
    limitInputPixels: config.limits.maxPixels,
    sequentialRead: true,
    autoOrient: true,
    pages: 1,
  });
  // `fill` at the planned size: `outside` would let sharp round the free side again (1601 × 1067).
  if (size.resized)
    pipeline = pipeline.resize({ width: size.width, height: size.height, fit: 'fill' });
  try {
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, info: { width: info.width, height: info.height, channels: info.channels } };
  } catch (error) {
    throw rejectionFromDecoderError(error, `Decoding the ${header.format.toUpperCase()} failed`, {
      format: header.format,
      bytes: input,
    });
  }
}
