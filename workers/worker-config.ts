/**
 * The worker's rendition config, from PIXELMILL_CONFIG (set by the CDK construct): pixelmill's
 * config file as JSON, validated here at cold start by lib/config, so a bad preset fails the cold
 * start naming the key instead of failing every image. Either key may be left out: without
 * `presets` the built-in presets apply, without `limits` the built-in limits (the construct always
 * passes `limits`, because it sized the function for them).
 */

import type { PixelmillConfig } from '../events/config/schema.ts';
import { defaultConfigInput } from '../lib/config/defaults.ts';
import { defaultConfig, parseConfig, parseConfigText } from '../lib/config/parse.ts';
import { WORKER_ENV } from './env.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readWorkerConfig(json: string | undefined): PixelmillConfig {
  if (json === undefined || json.trim() === '') return defaultConfig();
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // Let lib/config report the syntax error in its own words.
    return parseConfigText(json, WORKER_ENV.config);
  }
  const withPresets =
    isPlainObject(value) && !Object.hasOwn(value, 'presets')
      ? { ...value, presets: defaultConfigInput.presets }
      : value;
  return parseConfig(withPresets, WORKER_ENV.config);
}
