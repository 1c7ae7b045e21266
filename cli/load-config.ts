import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { PixelmillConfig } from '../events/config/schema.ts';
import { InvalidConfigError } from '../lib/config/errors.ts';
import { defaultConfig, parseConfig, parseConfigText } from '../lib/config/parse.ts';
import { contentTypes, formatOfName, type NamedFormat } from '../lib/imaging/content-types.ts';
import { UsageError } from '../lib/ops/errors.ts';

/** The formats a watermark image may be given in. */
const WATERMARK_FORMATS: readonly NamedFormat[] = ['png', 'jpeg', 'webp'];

/**
 * Reads `--config FILE`, or the built-in defaults. A bad config is a usage error (exit 2). A
 * watermark image given as a path (relative to the config file) is inlined as a data URI, so the
 * config is self-contained: the worker needs no file, and the config hash covers the image.
 */
export async function loadConfig(path: string | undefined): Promise<PixelmillConfig> {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read config ${path}: ${(error as Error).message}`);
  }
  try {
    const config = parseConfigText(text, path);
    const image = config.watermark?.image;
    if (!image || image.startsWith('data:')) return config;
    const file = resolve(dirname(path), image);
    const format = formatOfName(file);
    if (!format || !WATERMARK_FORMATS.includes(format))
      throw new InvalidConfigError(path, [
        `config.watermark.image: Expected a .png, .jpg or .webp file but received ${image}`,
      ]);
    const bytes = await readFile(file).catch((error: Error) => {
      throw new InvalidConfigError(path, [
        `config.watermark.image: cannot read ${file}: ${error.message}`,
      ]);
    });
    const inlined = {
      ...config,
      watermark: {
        ...config.watermark,
        image: `data:${contentTypes[format]};base64,${bytes.toString('base64')}`,
      },
    };
    return parseConfig(inlined, path);
  } catch (error) {
    if (error instanceof InvalidConfigError) throw new UsageError(error.message);
    throw error;
  }
}
