/**
 * Which decoders may run at all. libvips ships loaders for dozens of formats, several of them
 * large attack surfaces (SVG via librsvg, PDF, the libvips native format, ImageMagick). Blocking
 * every loader and unblocking only the allowed ones means a file that slips past the sniffer
 * (a polyglot, a mislabelled upload) still cannot reach an unexpected decoder.
 * https://sharp.pixelplumbing.com/api-utility#block
 */
import sharp from 'sharp';
import type { SniffedFormat } from './sniff.ts';

/** The formats pixelmill decodes, and the libvips loader class behind each. */
export const loaderClasses = {
  jpeg: 'VipsForeignLoadJpeg',
  png: 'VipsForeignLoadPng',
  webp: 'VipsForeignLoadWebp',
  gif: 'VipsForeignLoadNsgif',
  avif: 'VipsForeignLoadHeif',
} as const satisfies Partial<Record<SniffedFormat, string>>;

export type AllowedFormat = keyof typeof loaderClasses;

export function isAllowedFormat(format: SniffedFormat): format is AllowedFormat {
  return Object.hasOwn(loaderClasses, format);
}

let applied = false;

/**
 * Applies the loader allowlist and process-wide sharp settings once. Process-wide by nature:
 * libvips keeps one operation table per process.
 */
export function applyLoaderPolicy(): void {
  if (applied) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: Object.values(loaderClasses) });
  // Every upload is a different image: libvips' operation cache only holds memory.
  sharp.cache(false);
  applied = true;
}
