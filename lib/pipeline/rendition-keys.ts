/**
 * Where each rendition is stored. Keys are a pure function of the source object version and the
 * preset, so a repeated run rewrites the same keys with the same bytes, and a changed preset
 * (different hash) writes beside the old result instead of over it.
 *
 *   <source key>/<version tag>/<preset name>-<preset hash>.<ext>
 *
 * The source key is a prefix only when it is safe as one; otherwise a hash of it stands in:
 *
 *   _long-keys/<sha-256 of the source key, 32 hex>/<version tag>/…     the key would pass 1,024 bytes
 *   _unsafe-keys/<sha-256 of the source key, 32 hex>/<version tag>/…   see `isUnsafeKeyPrefix`
 *
 * so that no rendition key has a `.`, `..` or empty segment (which a filesystem-backed store or a
 * path-normalising client resolves elsewhere, `a/../b` onto `b`'s renditions) and no two source
 * keys share rendition keys. A key that is safe keeps exactly the rendition keys it always had:
 * existing rows point at them. (A key that is not well-formed Unicode, which S3 cannot hold, is
 * hashed as UTF-16 under `_unsafe-keys/` whatever its length.)
 */
import { createHash } from 'node:crypto';
import type { OutputFormat, PixelmillConfig, Preset } from '../../events/config/schema.ts';
import { presetHash } from '../config/parse.ts';
import { fileExtensions } from '../imaging/encode.ts';

/** S3 keys are at most 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
export const LONG_KEYS_PREFIX = '_long-keys/';
export const UNSAFE_KEYS_PREFIX = '_unsafe-keys/';

/** C0 controls, DEL, C1 controls and the backslash (a separator on Windows and to some clients). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const UNSAFE_CHARACTER = /[\u0000-\u001f\u007f-\u009f\\]/;
/** A hashed prefix itself: as a source key it would make another key's rendition keys. */
const HASHED_PREFIX = /^_(?:long|unsafe)-keys\/[0-9a-f]{32}$/;

function sha(value: string, length: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/** 32 hex of the SHA-256 of the UTF-16 code units: one-to-one for every JavaScript string. */
function shaUtf16(value: string): string {
  return createHash('sha256').update(value, 'utf16le').digest('hex').slice(0, 32);
}

/**
 * Whether a source key cannot be used as the prefix of its rendition keys: it has a `.`, `..` or
 * empty segment (a leading or trailing `/`, or `//`), a backslash or a control character, is not
 * well-formed Unicode, or is exactly one of the hashed prefixes (`_long-keys/<32 hex>`).
 */
export function isUnsafeKeyPrefix(key: string): boolean {
  if (UNSAFE_CHARACTER.test(key) || !key.isWellFormed() || HASHED_PREFIX.test(key)) return true;
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return true;
  }
  return false;
}

/** Whether a format read from a row is one this build writes (it has a file extension). */
export function isOutputFormat(format: string): format is OutputFormat {
  return Object.hasOwn(fileExtensions, format);
}

export function renditionKey(
  source: { key: string; version: string },
  preset: Preset,
  format: OutputFormat,
  config: Pick<PixelmillConfig, 'output' | 'watermark'>,
): string {
  const leaf = `${sha(source.version, 12)}/${preset.name}-${presetHash(preset, config)}.${fileExtensions[format]}`;
  const full = `${source.key}/${leaf}`;
  // Not well-formed: never an S3 key, and UTF-8 would hash two such keys alike.
  if (!source.key.isWellFormed()) return `${UNSAFE_KEYS_PREFIX}${shaUtf16(source.key)}/${leaf}`;
  // Length first: a long key's rendition keys were `_long-keys/…` before unsafe keys were mapped.
  if (Buffer.byteLength(full) > MAX_KEY_BYTES) {
    // A very long source key cannot be a prefix; a hash of it still groups its renditions.
    return `${LONG_KEYS_PREFIX}${sha(source.key, 32)}/${leaf}`;
  }
  if (isUnsafeKeyPrefix(source.key)) return `${UNSAFE_KEYS_PREFIX}${sha(source.key, 32)}/${leaf}`;
  return full;
}
