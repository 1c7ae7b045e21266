/**
 * What is recorded about each source on its metadata row, computed from the decoded
 * intermediate (no second decode): a ThumbHash placeholder (https://evanw.github.io/thumbhash/),
 * the dominant colour, a 64-bit perceptual hash, the SHA-256 of the bytes, and whether the
 * name or Content-Type claimed another format than the bytes are.
 */

import { createHash } from 'node:crypto';
import { rgbaToThumbHash } from 'thumbhash';
import { greyOnMidGrey, insideBox, resampleRgba } from './area-resample.ts';
import { formatOfExtension } from './content-types.ts';
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

function claimedFormats(declared: DeclaredType | undefined): string[] {
  const claims: string[] = [];
  const claimed = declared?.extension ? formatOfExtension(declared.extension) : undefined;
  if (claimed) claims.push(claimed);
  const type = declared?.contentType?.toLowerCase().split(';')[0]?.trim();
  if (type?.startsWith('image/'))
    claims.push(type.slice(6).replace('svg+xml', 'svg').replace('jpg', 'jpeg'));
  return claims;
}

/**
 * @param pixels the smallest uncropped, unwatermarked pixels the render already made (the
 *   smallest `inside` rendition, or the decoded intermediate): nothing is decoded twice for the
 *   analysis, and its ≤ 100-px thumbnail and 32 × 32 grey are area averages made in JavaScript
 *   (area-resample.ts), cheaper than any sharp call at these sizes.
 */
export async function analyse(
  pixels: { data: Buffer; info: { width: number; height: number; channels: number } },
  header: ImageHeader,
  input: Buffer,
  declared?: DeclaredType,
): Promise<ImageAnalysis> {
  const source = {
    data: pixels.data,
    width: pixels.info.width,
    height: pixels.info.height,
    channels: pixels.info.channels,
  };
  const box = insideBox(source.width, source.height, 100);
  const thumb = resampleRgba(source, box.width, box.height);
  const grey = greyOnMidGrey(resampleRgba(thumb, 32, 32));
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
    placeholder: Buffer.from(rgbaToThumbHash(thumb.width, thumb.height, thumb.data)).toString(
      'base64',
    ),
    dominantColour:
      dominantColour(thumb.data) ??
      // Fully transparent: the colour the pixels store.
      dominantColour(thumb.data, { countTransparent: true }) ??
      '#000000',
    phash: perceptualHash(grey),
    ...declaredFacts(declared, header.format),
  };
}

/**
 * What the upload's name and Content-Type claim against the format its bytes are: facts about
 * one upload, not about its content (an exact duplicate under another name has its own).
 */
export function declaredFacts(
  declared: DeclaredType | undefined,
  format: string,
): Pick<ImageAnalysis, 'declared' | 'typeMismatch'> {
  return {
    ...(declared && (declared.extension || declared.contentType) ? { declared } : {}),
    typeMismatch: claimedFormats(declared).some((c) => c !== format),
  };
}
