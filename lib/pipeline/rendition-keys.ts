/**
 * Where each rendition is stored. Keys are a pure function of the source object version and the
 * preset, so a repeated run rewrites the same keys with the same bytes, and a changed preset
 * (different hash) writes beside the old result instead of over it.
 *
 *   <source key>/<version tag>/<preset name>-<preset hash>.<ext>
 */
import { createHash } from 'node:crypto';
import { presetHash } from '../config/parse.ts';
import type { OutputFormat, PixelmillConfig, Preset } from '../config/schema.ts';
import { fileExtensions } from '../imaging/encode.ts';

/** S3 keys are at most 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

function sha(value: string, length: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

export function renditionKey(
  source: { key: string; version: string },
  preset: Preset,
  format: OutputFormat,
  config: Pick<PixelmillConfig, 'output' | 'watermark'>,
): string {
  const leaf = `${sha(source.version, 12)}/${preset.name}-${presetHash(preset, config)}.${fileExtensions[format]}`;
  const full = `${source.key}/${leaf}`;
  if (Buffer.byteLength(full) <= MAX_KEY_BYTES) return full;
  // A very long source key cannot be a prefix; a hash of it still groups its renditions.
  return `_long-keys/${sha(source.key, 32)}/${leaf}`;
}
