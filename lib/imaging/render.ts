/**
 * The imaging use case: untrusted bytes in, renditions out, or an ImageRejectedError naming why
 * not. Steps: probe the header against the limits, decode once (auto-oriented, sRGB, 8-bit) at
 * the smallest size every preset can be made from, then derive each rendition from that
 * intermediate, largest first.
 */
import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import type { OutputFormat, PixelmillConfig } from '../config/schema.ts';
import { rejectionFromDecoderError } from './classify-decoder-error.ts';
import { contentTypes, encodeAs } from './encode.ts';
import { ImageRejectedError } from './errors.ts';
import { insideSize, intermediateSize, largestFirst } from './plan.ts';
import { type ImageHeader, probeImage } from './probe.ts';

export interface Rendition {
  readonly presetName: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly data: Buffer;
}

export interface ImageAnalysis {
  readonly width: number;
  readonly height: number;
  readonly format: string;
  readonly bytes: number;
  readonly hasAlpha: boolean;
  readonly space: string;
  readonly depth: string;
  readonly frames: number;
  readonly sha256: string;
}

export interface RenderResult {
  readonly analysis: ImageAnalysis;
  readonly renditions: readonly Rendition[];
}

class Deadline {
  readonly #endsAt: number;
  readonly #seconds: number;
  constructor(seconds: number) {
    this.#seconds = seconds;
    this.#endsAt = Date.now() + seconds * 1000;
  }
  /** Whole seconds left for sharp's own timeout, which libvips checks while it computes. */
  secondsLeft(): number {
    const left = this.#endsAt - Date.now();
    if (left <= 0) {
      throw new ImageRejectedError(
        'timeout',
        `Processing took longer than the ${this.#seconds} s per-image limit`,
      );
    }
    return Math.max(1, Math.ceil(left / 1000));
  }
}

async function decodeIntermediate(
  input: Buffer,
  header: ImageHeader,
  config: PixelmillConfig,
  deadline: Deadline,
) {
  const size = intermediateSize(config.presets, header.width, header.height);
  let pipeline = sharp(input, {
    failOn: 'warning',
    limitInputPixels: config.limits.maxPixels,
    sequentialRead: true,
    autoOrient: true,
  });
  if (size.resized)
    pipeline = pipeline.resize({ width: size.width, height: size.height, fit: 'outside' });
  try {
    return await pipeline
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .timeout({ seconds: deadline.secondsLeft() })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw rejectionFromDecoderError(error, `Decoding the ${header.format.toUpperCase()} failed`);
  }
}

export async function renderImage(input: Buffer, config: PixelmillConfig): Promise<RenderResult> {
  const deadline = new Deadline(config.limits.timeoutSeconds);
  const header = await probeImage(input, config.limits);
  const decoded = await decodeIntermediate(input, header, config, deadline);
  const { width, height, channels } = decoded.info;
  const hasAlpha = channels === 4 || channels === 2;
  const raw = { width, height, channels: channels as 1 | 2 | 3 | 4 };

  const renditions: Rendition[] = [];
  for (const preset of largestFirst(config.presets)) {
    const source = sharp(decoded.data, { raw });
    let resized: Sharp;
    if (preset.fit === 'inside') {
      const size = insideSize(preset, header.width, header.height);
      resized =
        size.width === width && size.height === height
          ? source
          : source.resize({ ...size, fit: 'fill' });
    } else {
      resized = source.resize({
        width: preset.width,
        height: preset.height,
        fit: preset.fit,
        withoutEnlargement: preset.withoutEnlargement,
        background: { r: 255, g: 255, b: 255, alpha: hasAlpha ? 0 : 1 },
      });
    }
    const outputs = await Promise.all(
      preset.formats.map(async (spec) => {
        try {
          const { data, info } = await encodeAs(resized.clone(), spec, hasAlpha)
            .timeout({ seconds: deadline.secondsLeft() })
            .toBuffer({ resolveWithObject: true });
          return {
            presetName: preset.name,
            format: spec.format,
            width: info.width,
            height: info.height,
            contentType: contentTypes[spec.format],
            data,
          } satisfies Rendition;
        } catch (error) {
          if (error instanceof ImageRejectedError) throw error;
          throw rejectionFromDecoderError(
            error,
            `Encoding ${preset.name} as ${spec.format} failed`,
          );
        }
      }),
    );
    renditions.push(...outputs);
  }
  return {
    analysis: {
      width: header.width,
      height: header.height,
      format: header.format,
      bytes: input.length,
      hasAlpha: header.hasAlpha,
      space: header.space,
      depth: header.depth,
      frames: header.frames,
      sha256: createHash('sha256').update(input).digest('hex'),
    },
    renditions,
  };
}
