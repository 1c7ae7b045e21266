/**
 * The image-valued fields of ReportData, made safe for a self-contained page: only inline
 * `data:image/…;base64,` URLs and `#rrggbb` colours ever reach the markup, so a bad or hostile
 * value can neither fetch anything over the network nor break out of a `style` attribute.
 */
import { thumbHashToDataURL } from 'thumbhash';

const DATA_IMAGE = /^data:image\/(?:png|jpeg|webp|avif|gif);base64,[A-Za-z0-9+/]+={0,2}$/;
const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A ThumbHash is at most ~35 bytes (≤ 48 base64 characters); allow slack, refuse junk. */
const MAX_PLACEHOLDER_CHARS = 96;
/** The ThumbHash header is 5 bytes (6 with alpha): shorter cannot decode. */
const MIN_PLACEHOLDER_BYTES = 5;

/** The thumbnail when it is an inline raster image; undefined otherwise (never a remote URL). */
export function safeThumbnail(url: string | undefined): string | undefined {
  return url !== undefined && DATA_IMAGE.test(url) ? url : undefined;
}

/** `#rrggbb` in lower case, or undefined. */
export function safeColour(colour: string | undefined): string | undefined {
  return colour !== undefined && HEX_COLOUR.test(colour) ? colour.toLowerCase() : undefined;
}

/**
 * The base64 ThumbHash rendered to a PNG data URL (at most 32 px on its long side, blurred by
 * design; the page scales it up), or undefined when it is missing or does not decode.
 */
export function placeholderImage(placeholder: string | undefined): string | undefined {
  if (!placeholder || placeholder.length > MAX_PLACEHOLDER_CHARS || !BASE64.test(placeholder)) {
    return undefined;
  }
  const bytes = Buffer.from(placeholder, 'base64');
  if (bytes.length < MIN_PLACEHOLDER_BYTES) return undefined;
  try {
    const url = thumbHashToDataURL(bytes);
    return DATA_IMAGE.test(url) ? url : undefined;
  } catch {
    return undefined;
  }
}
