import type { Sharp } from 'sharp';
import type { OutputFormat, OutputSpec } from '../config/schema.ts';

export const contentTypes: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
};

export const fileExtensions: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  webp: 'webp',
  avif: 'avif',
  png: 'png',
};

/** Background that alpha is flattened onto for formats without alpha. */
const FLATTEN_BACKGROUND = '#ffffff';

/** Applies one output spec to a pipeline. Output carries no metadata: sharp strips it by default. */
export function encodeAs(pipeline: Sharp, spec: OutputSpec, hasAlpha: boolean): Sharp {
  switch (spec.format) {
    case 'jpeg':
      return (hasAlpha ? pipeline.flatten({ background: FLATTEN_BACKGROUND }) : pipeline).jpeg({
        quality: spec.quality,
        progressive: spec.progressive,
        mozjpeg: spec.mozjpeg,
      });
    case 'webp':
      return pipeline.webp({ quality: spec.quality, effort: spec.effort });
    case 'avif':
      return pipeline.avif({ quality: spec.quality, effort: spec.effort });
    case 'png':
      return pipeline.png({ compressionLevel: spec.compressionLevel, palette: spec.palette });
  }
}
