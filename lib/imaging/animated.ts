/**
 * Animated renditions (input.animated = "animate"): GIF and WebP sources keep their frames in
 * GIF and WebP renditions. This path decodes the source again with every frame, so it runs only
 * for those outputs; the frame count and frames × pixels were checked against the limits first.
 */
import sharp from 'sharp';
import type { ConcreteOutputSpec, PixelmillConfig, Preset } from '../../events/config/schema.ts';
import { rejectionFromDecoderError } from './classify-decoder-error.ts';
import { encodeAs } from './encode.ts';
import { fitFormatCap } from './format-caps.ts';
import { insideSize } from './plan.ts';
import type { ImageHeader } from './probe.ts';

export function animates(
  header: ImageHeader,
  config: PixelmillConfig,
  spec: ConcreteOutputSpec,
): boolean {
  return (
    config.input.animated === 'animate' &&
    header.frames > 1 &&
    (header.format === 'gif' || header.format === 'webp') &&
    (spec.format === 'gif' || spec.format === 'webp')
  );
}

export async function renderAnimated(
  input: Buffer,
  header: ImageHeader,
  preset: Preset,
  spec: ConcreteOutputSpec,
  config: PixelmillConfig,
) {
  const asked =
    preset.fit === 'inside'
      ? insideSize(preset, header.width, header.height)
      : { width: preset.width, height: preset.height };
  const capped =
    asked.width !== undefined && asked.height !== undefined
      ? fitFormatCap(spec.format, asked.width, asked.height)
      : undefined;
  const size = capped ? { width: capped.width, height: capped.height } : asked;
  try {
    const pipeline = sharp(input, {
      animated: true,
      failOn: header.failOn,
      limitInputPixels: config.limits.maxPixels,
    }).resize({
      ...size,
      fit: preset.fit === 'inside' || capped ? 'fill' : preset.fit,
      position: preset.position,
      background: preset.background,
    });
    const encoded = await encodeAs(pipeline, spec, {
      hasAlpha: header.hasAlpha,
      policy: config.output,
    }).toBuffer({ resolveWithObject: true });
    return { ...encoded, note: capped?.note };
  } catch (error) {
    throw rejectionFromDecoderError(error, `Animating ${preset.name} as ${spec.format} failed`, {
      format: header.format,
      bytes: input,
    });
  }
}
