/**
 * Which decoders may run at all. libvips ships loaders for dozens of formats, several of them
 * large attack surfaces (SVG via librsvg, PDF, the libvips native format, ImageMagick). Blocking
 * every loader and unblocking only the allowed ones means a file that slips past the sniffer
 * (a polyglot, a mislabelled upload) still cannot reach an unexpected decoder.
 * https://sharp.pixelplumbing.com/api-utility#block
 */
import sharp from 'sharp';
import type { InputFormat } from '../../events/config/schema.ts';
import type { SniffedFormat } from './sniff.ts';

/** The formats pixelmill can decode, and the libvips loader class behind each. */
export const loaderClasses = {
  jpeg: 'VipsForeignLoadJpeg',
  png: 'VipsForeignLoadPng',
  webp: 'VipsForeignLoadWebp',
  gif: 'VipsForeignLoadNsgif',
  avif: 'VipsForeignLoadHeif',
  // HEIC is decoded by libheif-js (WebAssembly, heic-decode.ts), never by libvips' libheif (whose
  // prebuilt build has no HEVC); libvips receives its pixels as raw or as a PNG written here with
  // the source's colour profile (tagged-png.ts). The sniffer still gates uploads against the
  // allowlist first, so allowing HEIC lets no uploaded PNG through.
  heic: 'VipsForeignLoadPng',
  tiff: 'VipsForeignLoadTiff',
  svg: 'VipsForeignLoadSvg',
} as const satisfies Record<InputFormat, string> & Partial<Record<SniffedFormat, string>>;

export type SourceFormat = keyof typeof loaderClasses;

export function isAllowedFormat(
  format: SniffedFormat,
  allowed: readonly InputFormat[],
): format is SourceFormat {
  return (allowed as readonly string[]).includes(format);
}

let applied: string | undefined;

/**
 * Applies the loader allowlist and process-wide sharp settings. Process-wide by nature: libvips
 * keeps one operation table per process; a worker runs one config, so this is set once.
 * `extra` holds formats only trusted assets use (a watermark image), never uploads: uploads are
 * gated by the sniffer against `allowed` before any decoder runs.
 */
export function applyLoaderPolicy(
  allowed: readonly InputFormat[],
  extra: readonly InputFormat[] = [],
): void {
  const formats = [...new Set([...allowed, ...extra])].sort();
  const key = formats.join(',');
  if (applied === key) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: formats.map((f) => loaderClasses[f]) });
  // Every upload is a different image: libvips' operation cache only holds memory.
  sharp.cache(false);
  applied = key;
}
