/** Command dispatch and the exit-code contract: 0 ok, 1 work incomplete, 2 usage error. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../lib/ops/errors.ts';
import { printable } from '../lib/ops/printable.ts';
import type { OptionSpec } from './args.ts';
import { writeErr, writeOut } from './output.ts';
import { closest } from './suggest.ts';
import { systemErrorLine } from './system-errors.ts';

/**
 * What every module under commands/ exports: its `run` (argv → exit code), its `options` (what
 * `run` parses) and its `help` (whose Options block is made from `options`: cli/args.ts), which
 * `main` prints for `-h`/`--help` instead of running the command.
 */
interface CommandModule {
  readonly run: (argv: readonly string[]) => Promise<number>;
  readonly options: OptionSpec;
  readonly help: string;
}

/**
 * Each command's module is loaded only when it runs: a command pays (in start-up time and in
 * memory) for the AWS SDK clients, sharp or the local cloud only if it uses them.
 */
interface Command {
  readonly load: () => Promise<CommandModule>;
  readonly usage: string;
  readonly summary: string;
}

const commands: Record<string, Command> = {
  run: {
    load: () => import('./commands/run.ts'),
    usage: 'run',
    summary: 'process files and directories end to end on the local cloud',
  },
  ingest: {
    load: () => import('./commands/ingest.ts'),
    usage: 'ingest',
    summary: 'upload files, directories and archives (zip, tar, tar.gz); backfill s3:// prefixes',
  },
  worker: {
    load: () => import('./commands/worker.ts'),
    usage: 'worker',
    summary: 'run the image worker in this process (several can run)',
  },
  stack: {
    load: () => import('./commands/stack.ts'),
    usage: 'stack up',
    summary: 'run the embedded local cloud in the foreground',
  },
  status: {
    load: () => import('./commands/status.ts'),
    usage: 'status',
    summary: 'queues, images, throughput, ETA and alarm conditions (--watch)',
  },
  dlq: {
    load: () => import('./commands/dlq.ts'),
    usage: 'dlq',
    summary: 'list the dead-letter queue, show one message’s story, delete or purge',
  },
  redrive: {
    load: () => import('./commands/redrive.ts'),
    usage: 'redrive',
    summary: 'move dead letters back to the work queue, selectively',
  },
  audit: {
    load: () => import('./commands/audit.ts'),
    usage: 'audit',
    summary: 'prove every upload has an outcome; --repair the gaps',
  },
  report: {
    load: () => import('./commands/report.ts'),
    usage: 'report',
    summary: 'write one self-contained HTML page: contact sheet, charts, reasons, DLQ',
  },
  reprocess: {
    load: () => import('./commands/reprocess.ts'),
    usage: 'reprocess',
    summary: 'bring processed images up to a config: plan, enqueue at a rate, --prune the old',
  },
  duplicates: {
    load: () => import('./commands/duplicates.ts'),
    usage: 'duplicates',
    summary: 'groups of DONE images that are copies: same bytes, or near perceptual hashes',
  },
  samples: {
    load: () => import('./commands/samples.ts'),
    usage: 'samples',
    summary: 'write generated sample images into a directory',
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const mainHelp = `pixelmill — an image pipeline: S3 → EventBridge → SQS → Lambda (sharp) → S3 + DynamoDB,
runnable on one machine through an embedded local cloud.

Usage: pixelmill <command> [options]

Commands:
${Object.values(commands)
  .map((c) => `  ${c.usage.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run \`pixelmill <command> --help\` for a command's options.
Options: -h, --help · --version
`;

/** `-h` or `--help` among a command's arguments: its help, whatever else they say. */
function asksForHelp(argv: readonly string[], options: OptionSpec): boolean {
  const { values } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true });
  return values.help === true;
}

/** JavaScript's own error classes: thrown by a bug, not by anything the user or machine did. */
const BUG_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'AssertionError',
  'AggregateError',
]);

/**
 * What is printed when a command fails: one line for a failure of the machine (a system error
 * anywhere in the causes: a read-only directory, a port in use, a full disk) or one of
 * pixelmill's own errors (each names what failed in its message); the stack trace only for a
 * bug, which is worth reporting with it.
 */
function failureText(error: unknown): string {
  const system = systemErrorLine(error);
  if (system !== undefined) return printable(system);
  if (!(error instanceof Error)) return printable(String(error));
  if (!BUG_NAMES.has(error.name)) return printable(error.message.split('\n')[0] ?? error.name);
  return error.stack ?? error.message;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      const helped = topic ? commands[topic] : undefined;
      await writeOut(helped ? (await helped.load()).help : mainHelp);
      return 0;
    }
    if (name === '--version' || name === '-v') {
      await writeOut(`${version()}\n`);
      return 0;
    }
    const command = commands[name];
    if (!command) {
      const guess = closest(name, Object.keys(commands));
      throw new UsageError(
        `Unknown command "${name}"${guess ? `; did you mean ${guess}?` : '.'} Run \`pixelmill --help\`.`,
      );
    }
    const module = await command.load();
    if (asksForHelp(rest, module.options)) {
      await writeOut(module.help);
      return 0;
    }
    return await module.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      // A usage error's message is one line, and may quote what the user typed.
      await writeErr(`pixelmill: ${printable(error.message)}\n`);
      return 2;
    }
    await writeErr(`pixelmill: ${failureText(error)}\n`);
    return 1;
  }
}
