import { readFile } from 'node:fs/promises';
import { InvalidConfigError } from '../lib/config/errors.ts';
import { defaultConfig, parseConfigText } from '../lib/config/parse.ts';
import type { PixelmillConfig } from '../lib/config/schema.ts';
import { UsageError } from '../lib/ops/errors.ts';

/** Reads `--config FILE`, or the built-in defaults. A bad config is a usage error (exit 2). */
export async function loadConfig(path: string | undefined): Promise<PixelmillConfig> {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read config ${path}: ${(error as Error).message}`);
  }
  try {
    return parseConfigText(text, path);
  } catch (error) {
    if (error instanceof InvalidConfigError) throw new UsageError(error.message);
    throw error;
  }
}
