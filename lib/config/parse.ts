import { createHash } from 'node:crypto';
import { describeIssue } from '../../events/config/issues.ts';
import { configSchema, type PixelmillConfig, type Preset } from '../../events/config/schema.ts';
import { defaultConfigInput } from './defaults.ts';
import { InvalidConfigError } from './errors.ts';

/** Validates a config value (already parsed from JSON), applying defaults. */
export function parseConfig(value: unknown, source: string): PixelmillConfig {
  const result = configSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw new InvalidConfigError(
      source,
      result.error.issues.map((issue) => describeIssue(issue)),
    );
  }
  return result.data;
}

/** Parses config file text (JSON). */
export function parseConfigText(text: string, source: string): PixelmillConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new InvalidConfigError(source, [`not valid JSON: ${detail}`], { cause });
  }
  return parseConfig(value, source);
}

export function defaultConfig(): PixelmillConfig {
  return parseConfig(defaultConfigInput, 'the built-in defaults');
}

/** JSON with sorted object keys, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function shortHash(value: unknown, length: number): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}

/**
 * Identifies everything that shapes the renditions (presets, output policy, watermark, with the
 * watermark image's bytes when inlined). It is part of the idempotency key: the same object under
 * a changed config is new work, under the same config it is a duplicate. Input policy and limits
 * decide only whether an image is accepted, so they are not part of it.
 */
export function configHash(config: PixelmillConfig): string {
  return shortHash(
    { presets: config.presets, output: config.output, watermark: config.watermark ?? null },
    16,
  );
}

/**
 * Part of each rendition's key, so a changed preset never overwrites a different result. It
 * covers the preset and whatever else shapes its pixels: the output policy, and the watermark
 * when the preset carries it.
 */
export function presetHash(
  preset: Preset,
  config: Pick<PixelmillConfig, 'output' | 'watermark'>,
): string {
  // Asked for every rendition of every image: computed once per (preset, config) object.
  let byConfig = presetHashes.get(preset);
  if (!byConfig) {
    byConfig = new WeakMap();
    presetHashes.set(preset, byConfig);
  }
  let hash = byConfig.get(config);
  if (hash === undefined) {
    const watermark = preset.watermark ? (config.watermark ?? null) : null;
    hash = shortHash({ preset, output: config.output, watermark }, 8);
    byConfig.set(config, hash);
  }
  return hash;
}

const presetHashes = new WeakMap<Preset, WeakMap<object, string>>();
