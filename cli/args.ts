/**
 * Argument parsing shared by the commands: node's parseArgs in strict mode, sharp-style errors,
 * and the Options block of each command's --help generated from the same spec, so that an option
 * cannot be parsed without being listed, nor listed without being parsed.
 *
 * A command module exports `options` (an {@link OptionSpec}: parseArgs' own option config, plus
 * each option's `help` line and `value` name) and builds `help` as its hand-written usage line
 * and prose followed by `optionsHelp(options)`; `run` parses with `parseCommandArgs(argv,
 * options)`. To convert a command still written with a hand-made Options block:
 *   1. move its inline parseArgs spec to `export const options = { … } as const satisfies
 *      OptionSpec;`, spreading `targetOptionSpec` (cli/target.ts) where the help said
 *      `${targetHelp}`, and ending with `help: helpOption`;
 *   2. give each option the text of its help line as `help` (continuation lines joined with
 *      an array, without their indent) and the word after its name as `value` (`--max N` → 'N');
 *      an option opening a new block (`Archive caps …:`) takes that heading as `section`;
 *   3. replace the Options block (from `Options:` to `-h, --help`) with `${optionsHelp(options)}`
 *      (with `{ width }` if its help column is not the usual one), call
 *      `parseCommandArgs(argv, options)`, and drop its `if (values.help)` block: cli/dispatch.ts
 *      prints `help` for `-h`/`--help` before the command runs.
 * test/unit/cli-help.test.ts holds every command in cli/commands/ to this.
 */
import { type ParseArgsOptionDescriptor, parseArgs } from 'node:util';
import { UsageError } from '../lib/ops/errors.ts';
import { closest } from './suggest.ts';

/** One option: what parseArgs needs, and the line --help shows for it. */
export type CommandOption = ParseArgsOptionDescriptor & {
  /** What the option does: one line, or a line and its continuations (indented to the column). */
  readonly help: string | readonly string[];
  /** The value's name after the option in help (`--out DIR`); string options only. */
  readonly value?: string;
  /** A heading that starts a new block of options at this one (the first block's is `Options:`). */
  readonly section?: string;
  /** Lines printed after this option's, indented as prose (a note on the block above). */
  readonly note?: string | readonly string[];
};

export type OptionSpec = Readonly<Record<string, CommandOption>>;

/** `-h, --help`, last in every command's spec. */
export const helpOption = {
  type: 'boolean',
  short: 'h',
  default: false,
  help: '',
} as const satisfies CommandOption;

const lines = (text: string | readonly string[]) => (typeof text === 'string' ? [text] : text);

/** Where an option's help starts, after `  --name VALUE`: the usual column, 21. */
const DEFAULT_NAME_WIDTH = 18;

/**
 * The Options block of a command's --help, from its spec: one line (and continuations) per
 * option, in the spec's order, names padded to `width` (options longer than it take one space).
 */
export function optionsHelp(spec: OptionSpec, { width = DEFAULT_NAME_WIDTH } = {}): string {
  const indent = ' '.repeat(width + 3);
  const out: string[] = [];
  for (const [name, option] of Object.entries(spec)) {
    if (out.length === 0 || option.section !== undefined) out.push(option.section ?? 'Options:');
    const names = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
    const [first = '', ...more] = lines(option.help);
    out.push(`  ${names.padEnd(width)} ${first}`.trimEnd(), ...more.map((l) => indent + l));
    if (option.note !== undefined) out.push(...lines(option.note).map((l) => `  ${l}`));
  }
  return `${out.join('\n')}\n`;
}

/** `Unknown option --concurency; did you mean --concurrency?` from parseArgs' own error. */
function unknownOption(error: Error, options: OptionSpec): string | undefined {
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

/** parseArgs takes the spec as it is: it reads `type`, `short`, `multiple` and `default` only. */
export function parseCommandArgs<T extends OptionSpec>(argv: readonly string[], options: T) {
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
