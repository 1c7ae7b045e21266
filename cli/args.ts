/** Argument parsing shared by the commands: node's parseArgs in strict mode, sharp-style errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../lib/ops/errors.ts';

export function parseCommandArgs<T extends ParseArgsConfig['options']>(
  argv: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new UsageError(
      `Expected positive integer for --${name} but received ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}
