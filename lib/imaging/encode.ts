/**
 * Output formats: file extensions, content types, resolving `original`, and applying one output
 * spec to a pipeline. Output carries no metadata unless the policy keeps copyright and ICC.
 */
import type { Sharp } from 'sharp';
import type {
  ConcreteOutputSpec,
  OutputFormat,
  OutputPolicy,
  OutputSpec,
} from '../../events/config/schema.ts';
import type { SourceFormat } from './loader-policy.ts';

export const fileExtensions: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  webp: 'webp',
  avif: 'avif',
  png: 'png',
  gif: 'gif',
};

/**
 * What `original` becomes for each source format: the same format, PNG for print formats, and
 * JPEG for HEIC (which few browsers display, and pixelmill cannot encode: no HEVC encoder).
 */
const originalOf: Record<SourceFormat, ConcreteOutputSpec> = {
  jpeg: { format: 'jpeg', quality: 80, progressive: true, mozjpeg: false },
  png: { format: 'png', compressionLevel: 6, palette: false },
  webp: { format: 'webp', quality: 80, effort: 4 },
  gif: { format: 'gif', effort: 7 },
  avif: { format: 'avif', quality: 50, effort: 4 },
  heic: { format: 'jpeg', quality: 80, progressive: true, mozjpeg: false },
  tiff: { format: 'png', compressionLevel: 6, palette: false },
  svg: { format: 'png', compressionLevel: 6, palette: false },
};

export function resolveOutput(spec: OutputSpec, source: SourceFormat): ConcreteOutputSpec {
  return spec.format === 'original' ? originalOf[source] : spec;
}

export function formatHasAlpha(format: OutputFormat): boolean {
  return format !== 'jpeg';
}

/** EXIF text kept under the `copyright-and-icc` policy. */
export interface KeptMetadata {
  readonly copyright?: string | undefined;
  readonly artist?: string | undefined;
}

export function encodeAs(
  pipeline: Sharp,
  spec: ConcreteOutputSpec,
  options: { hasAlpha: boolean; policy: OutputPolicy; kept?: KeptMetadata },
): Sharp {
  let p = pipeline;
  if (options.hasAlpha && !formatHasAlpha(spec.format))
    p = p.flatten({ background: options.policy.background });
  if (options.policy.metadata === 'copyright-and-icc') {
    // The pixels are already sRGB: tagging them with the sRGB profile converts nothing.
    p = p.withIccProfile('srgb');
    const ifd0: Record<string, string> = {};
    if (options.kept?.copyright) ifd0.Copyright = options.kept.copyright;
    if (options.kept?.artist) ifd0.Artist = options.kept.artist;
    if (Object.keys(ifd0).length > 0) p = p.withExif({ IFD0: ifd0 });
  }
  switch (spec.format) {
    case 'jpeg':
      return p.jpeg({
        quality: spec.quality,
        progressive: spec.progressive,
        mozjpeg: spec.mozjpeg,
      });
    case 'webp':
      return p.webp({ quality: spec.quality, effort: spec.effort });
    case 'avif':
      return p.avif({ quality: spec.quality, effort: spec.effort });
    case 'png':
      return p.png({ compressionLevel: spec.compressionLevel, palette: spec.palette });
    case 'gif':
      return p.gif({ effort: spec.effort });
  }
}
