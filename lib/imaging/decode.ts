/**
 * The one decode: the source, auto-oriented (EXIF and HEIF rotation), converted to 8-bit sRGB
 * through its ICC profile (or the CMYK fallback profile), first frame only, at the smallest size
 * every preset can be made from, using the decoder's shrink-on-load where the format has it.
 */
import sharp, { type Sharp } from 'sharp';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { rejectionFromDecoderError } from './classify-decoder-error.ts';
import { heicSourceProfile } from './heic-colour.ts';
import { decodeHeic } from './heic-decode.ts';
import type { HeicHeader } from './heic-header.ts';
import { intermediateSize } from './plan.ts';
import type { ImageHeader } from './probe.ts';
import { iccTaggedPng } from './tagged-png.ts';

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
  let pipeline = header.heic
    ? await heicPipeline(input, header.heic, config)
    : sharp(input, {
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

/**
 * A HEIC decoded by libheif (already upright: HEIF rotation applied, EXIF ignored) as libvips
 * input: raw RGBA, or a PNG carrying the source's colour profile so `toColourspace('srgb')`
 * converts it (heic-colour.ts). An opaque image drops the alpha channel libheif always fills.
 */
async function heicPipeline(
  input: Buffer,
  heic: HeicHeader,
  config: PixelmillConfig,
): Promise<Sharp> {
  const pixels = await decodeHeic(input, heic);
  const { width, height } = pixels;
  const profile = await heicSourceProfile(heic.colour);
  const options = { limitInputPixels: config.limits.maxPixels, failOn: 'warning' } as const;
  const pipeline = profile
    ? sharp(iccTaggedPng(pixels.data, width, height, profile), options)
    : sharp(pixels.data, { ...options, raw: { width, height, channels: 4 } });
  return heic.hasAlpha ? pipeline : pipeline.removeAlpha();
}
