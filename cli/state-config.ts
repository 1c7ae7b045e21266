/**
 * The rendition config a state directory was last worked with, kept in `<state>/config.json`.
 * Rows are keyed by the config's hash, so an operator command counting under another config
 * (a forgotten `--config`) would call every image missing. `pixelmill run` records the config it
 * ran with, `pixelmill worker --config` the one it was given, and the operator commands count
 * under it unless `--config` names another. The config is stored whole (its watermark inlined),
 * so it still holds when the file it came from has changed or gone.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { PixelmillConfig } from '../events/config/schema.ts';
import { statePaths } from '../infra/local/state-dir.ts';
import { parseConfig } from '../lib/config/parse.ts';

export interface RememberedConfig {
  readonly config: PixelmillConfig;
  /** The file it was read from (absolute), or null for the built-in defaults. */
  readonly source: string | null;
  readonly savedAt: string;
}

const fileSchema = z.object({
  source: z.string().nullable(),
  savedAt: z.string(),
  config: z.unknown(),
});

export function rememberConfig(
  stateDir: string,
  config: PixelmillConfig,
  source: string | undefined,
): void {
  const file = statePaths(stateDir).configFile;
  const partial = `${file}.${process.pid}.tmp`;
  const value = {
    source: source === undefined ? null : resolve(source),
    savedAt: new Date().toISOString(),
    config,
  };
  writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(partial, file);
}

/** The state's config, or undefined when none was recorded (or it no longer parses). */
export function rememberedConfig(stateDir: string): RememberedConfig | undefined {
  const file = statePaths(stateDir).configFile;
  try {
    const stored = fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    return {
      config: parseConfig(stored.config, file),
      source: stored.source,
      savedAt: stored.savedAt,
    };
  } catch {
    return undefined;
  }
}

/** How a remembered config is named to the user. */
export function describeConfig(remembered: RememberedConfig): string {
  return remembered.source === null ? 'the built-in defaults' : remembered.source;
}
