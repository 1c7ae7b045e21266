/** Argument parsing shared by the commands: node's parseArgs in strict mode, sharp-style errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../lib/ops/errors.ts';
import { closest } from './suggest.ts';

/** `Unknown option --concurency; did you mean --concurrency?` from parseArgs' own error. */
function unknownOption(error: Error, options: ParseArgsConfig['options']): string | undefined {
  if ((error as { code?: unknown }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  const given = /'(-[^']*)'/.exec(error.message)?.[1];
  if (given === undefined) return undefined;
  const [name = ''] = given.replace(/^-+/, '').split('=');
  const long = given.startsWith('--');
  const known = Object.entries(options ?? {}).flatMap(([n, o]) => [
    `--${n}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
  // One letter is one typo away from every other: only long names are guessed.
  const guess = long ? closest(`--${name}`, known) : undefined;
  return `Unknown option ${given}${guess ? `; did you mean ${guess}?` : ' (see --help)'}`;
}

export function parseCommandArgs<T extends ParseArgsConfig['options']>(
  argv: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    if (!(error instanceof Error)) throw new UsageError(String(error));
    throw new UsageError(unknownOption(error, options) ?? error.message);
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
