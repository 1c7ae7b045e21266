/** Command dispatch and the exit-code contract: 0 ok, 1 work incomplete, 2 usage error. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../lib/ops/errors.ts';
import { auditCommand, auditHelp } from './commands/audit.ts';
import { dlqCommand, dlqHelp } from './commands/dlq.ts';
import { ingestCommand, ingestHelp } from './commands/ingest.ts';
import { redriveCommand, redriveHelp } from './commands/redrive.ts';
import { reportCommand, reportHelp } from './commands/report.ts';
import { runCommand, runHelp } from './commands/run.ts';
import { samplesCommand, samplesHelp } from './commands/samples.ts';
import { stackCommand, stackHelp } from './commands/stack.ts';
import { statusCommand, statusHelp } from './commands/status.ts';
import { workerCommand, workerHelp } from './commands/worker.ts';
import { writeErr, writeOut } from './output.ts';

interface Command {
  readonly run: (argv: readonly string[]) => Promise<number>;
  readonly help: string;
  readonly usage: string;
  readonly summary: string;
}

const commands: Record<string, Command> = {
  run: {
    run: runCommand,
    help: runHelp,
    usage: 'run',
    summary: 'process files and directories end to end on the local cloud',
  },
  ingest: {
    run: ingestCommand,
    help: ingestHelp,
    usage: 'ingest',
    summary: 'upload files and directories to the uploads bucket',
  },
  worker: {
    run: workerCommand,
    help: workerHelp,
    usage: 'worker',
    summary: 'run the image worker in this process (several can run)',
  },
  stack: {
    run: stackCommand,
    help: stackHelp,
    usage: 'stack up',
    summary: 'run the embedded local cloud in the foreground',
  },
  status: {
    run: statusCommand,
    help: statusHelp,
    usage: 'status',
    summary: 'queues, images, throughput, ETA and alarm conditions (--watch)',
  },
  dlq: {
    run: dlqCommand,
    help: dlqHelp,
    usage: 'dlq',
    summary: 'list the dead-letter queue, or show one message’s story',
  },
  redrive: {
    run: redriveCommand,
    help: redriveHelp,
    usage: 'redrive',
    summary: 'move dead letters back to the work queue, selectively',
  },
  audit: {
    run: auditCommand,
    help: auditHelp,
    usage: 'audit',
    summary: 'prove every upload has an outcome; --repair the gaps',
  },
  report: {
    run: reportCommand,
    help: reportHelp,
    usage: 'report',
    summary: 'write one self-contained HTML page: contact sheet, charts, reasons, DLQ',
  },
  samples: {
    run: samplesCommand,
    help: samplesHelp,
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

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      await writeOut(topic && commands[topic] ? commands[topic].help : mainHelp);
      return 0;
    }
    if (name === '--version' || name === '-v') {
      await writeOut(`${version()}\n`);
      return 0;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`Unknown command "${name}". Run \`pixelmill --help\`.`);
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      await writeErr(`pixelmill: ${error.message}\n`);
      return 2;
    }
    await writeErr(
      `pixelmill: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
