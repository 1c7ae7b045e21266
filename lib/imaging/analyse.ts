/**
 * What is recorded about each source on its metadata row, computed from the decoded
 * intermediate (no second decode): a ThumbHash placeholder (https://evanw.github.io/thumbhash/),
 * the dominant colour, a 64-bit perceptual hash, the SHA-256 of the bytes, and whether the
 * name or Content-Type claimed another format than the bytes are.
 */

import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { dominantColour } from './dominant-colour.ts';
import { perceptualHash } from './phash.ts';
import type { ImageHeader } from './probe.ts';

export interface DeclaredType {
  /** The key's extension, lower case, without the dot. */
  readonly extension?: string | undefined;
  readonly contentType?: string | undefined;
}

export interface ImageAnalysis {
  /** Upright dimensions. */
  readonly width: number;
  readonly height: number;
  /** What the bytes are (never what the name says). */
  readonly format: string;
  readonly bytes: number;
  readonly hasAlpha: boolean;
  readonly space: string;
  readonly depth: string;
  readonly frames: number;
  readonly sha256: string;
  /** ThumbHash, base64. */
  readonly placeholder: string;
  /** `#rrggbb`. */
  readonly dominantColour: string;
  /** 16 hex digits. */
  readonly phash: string;
  readonly declared?: DeclaredType;
  /** True when the extension or Content-Type names another format than the bytes. */
  readonly typeMismatch: boolean;
}

const extensionFormats: Record<string, string> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tif: 'tiff',
  tiff: 'tiff',
  svg: 'svg',
};

function claimedFormats(declared: DeclaredType | undefined): string[] {
  const claims: string[] = [];
  const ext = declared?.extension?.toLowerCase();
  if (ext && extensionFormats[ext]) claims.push(extensionFormats[ext]);
  const type = declared?.contentType?.toLowerCase().split(';')[0]?.trim();
  if (type?.startsWith('image/'))
    claims.push(type.slice(6).replace('svg+xml', 'svg').replace('jpg', 'jpeg'));
  return claims;
}

const hex = (n: number) => Math.round(n).toString(16).padStart(2, '0');

export async function analyse(
  decoded: { data: Buffer; info: { width: number; height: number; channels: number } },
  header: ImageHeader,
  input: Buffer,
  declared?: DeclaredType,
): Promise<ImageAnalysis> {
  const raw = {
    width: decoded.info.width,
    height: decoded.info.height,
    channels: decoded.info.channels as 1 | 2 | 3 | 4,
  };
  const thumb = await sharp(decoded.data, { raw })
    .resize(100, 100, { fit: 'inside' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const small = { width: thumb.info.width, height: thumb.info.height, channels: 4 as const };
  const [grey, stats] = await Promise.all([
    sharp(thumb.data, { raw: small })
      .flatten({ background: '#808080' })
      .resize(32, 32, { fit: 'fill' })
      .greyscale()
      .raw()
      .toBuffer(),
    sharp(thumb.data, { raw: small }).stats(),
  ]);
  const claims = claimedFormats(declared);
  return {
    width: header.width,
    height: header.height,
    format: header.format,
    bytes: input.length,
    hasAlpha: header.hasAlpha,
    space: header.space,
    depth: header.depth,
    frames: header.frames,
    sha256: createHash('sha256').update(input).digest('hex'),
    placeholder: Buffer.from(rgbaToThumbHash(small.width, small.height, thumb.data)).toString(
      'base64',
    ),
    dominantColour:
      dominantColour(thumb.data) ??
      // Fully transparent: the colour the pixels store, as sharp sees it.
      `#${hex(stats.dominant.r)}${hex(stats.dominant.g)}${hex(stats.dominant.b)}`,
    phash: perceptualHash(grey),
    ...(declared && (declared.extension || declared.contentType) ? { declared } : {}),
    typeMismatch: claims.some((c) => c !== header.format),
  };
}
