/** `pixelmill stack up`: the embedded local cloud in the foreground, for other processes to use. */

import { startLocalCloud } from '../../infra/local/cloud.ts';
import { CloudAlreadyRunningError } from '../../infra/local/errors.ts';
import { DEFAULT_STATE_DIR } from '../../infra/local/state-dir.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { openLogFile } from '../log-file.ts';
import { writeErr, writeJson } from '../output.ts';

export const options = {
  state: { type: 'string', value: 'DIR', help: `state directory (default ${DEFAULT_STATE_DIR})` },
  port: {
    type: 'string',
    value: 'N',
    help: 'loopback port (default: the last one used, or any free one)',
  },
  json: { type: 'boolean', default: false, help: 'print {"endpoint", "stateDir", ...} as JSON' },
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill stack up [--state DIR] [--port N] [--json]

Run the embedded local cloud (S3, SQS, DynamoDB and the S3 → EventBridge → SQS hop) in the
foreground until Ctrl-C. Other pixelmill processes on the same state directory find it
(\`pixelmill worker\`, \`ingest\`, \`status\`, \`dlq\`, \`redrive\`, \`audit\`); several workers can run
at once. Any AWS SDK or tool can use it too: the endpoint is printed (region us-east-1, any
credentials, path-style S3).

Stopped and started again, it listens on the same port (another one only if that one has been
taken meanwhile: cloud.json in the state directory says where), so the workers and commands
that used it carry on once it is back. Only one process runs the cloud of a state directory:
while another does (a stack, a run), this one exits with that process's endpoint.

${optionsHelp(options)}`;

export async function run(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseCommandArgs(rest, options);
  if (sub !== 'up') throw new UsageError('Expected `pixelmill stack up`');
  const stateDir = values.state ?? DEFAULT_STATE_DIR;
  const logFile = openLogFile(stateDir);
  let cloud: Awaited<ReturnType<typeof startLocalCloud>>;
  try {
    cloud = await startLocalCloud({
      stateDir,
      log: logFile.logger('local-cloud'),
      ...(values.port ? { port: positiveInt('port', values.port, 0) } : {}),
    });
  } catch (error) {
    if (error instanceof CloudAlreadyRunningError) throw new UsageError(error.message);
    throw error;
  }
  const info = {
    endpoint: cloud.endpoint,
    stateDir: cloud.stateDir,
    region: cloud.topology.region,
    queues: cloud.queueUrls,
    pid: process.pid,
  };
  if (values.json) await writeJson(info, { compact: true });
  else {
    await writeErr(
      `pixelmill local cloud on ${cloud.endpoint} (state ${printable(cloud.stateDir)})\n` +
        `  S3 buckets  ${cloud.topology.uploadsBucket} (uploads under ${cloud.topology.uploadsPrefix}), ${cloud.topology.renditionsBucket}\n` +
        `  queues      ${cloud.topology.workQueue}, ${cloud.topology.deadLetterQueue}\n` +
        `  table       ${cloud.topology.table}\n` +
        (cloud.releasedOnStart
          ? `  released ${cloud.releasedOnStart} message(s) left in flight by the previous run\n`
          : '') +
        'Ctrl-C to stop.\n',
    );
  }
  const interrupted = listenForInterrupt();
  await interrupted.requested;
  interrupted.release();
  await cloud.stop();
  await logFile.close();
  return 0;
}
