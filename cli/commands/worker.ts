/** `pixelmill worker`: one more process running the image worker against the pipeline's queue. */

import { availableParallelism } from 'node:os';
import { DEFAULT_STATE_DIR } from '../../infra/local/state-dir.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { loadConfig } from '../load-config.ts';
import { openLogFile } from '../log-file.ts';
import { writeErr } from '../output.ts';
import { rememberConfig } from '../state-config.ts';
import { checkLocalState, resolveTarget, targetOptionSpec } from '../target.ts';
import { FAULTS_ENV, readTestFaults } from '../test-faults.ts';
import { SHORT_VISIBILITY_SECONDS, startWorkers } from '../workers.ts';

export const options = {
  concurrency: {
    type: 'string',
    value: 'N',
    help: `batches processed at once (default: ${availableParallelism()}, the CPU cores)`,
  },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill worker [--concurrency N] [--state DIR | --stack NAME] [--config FILE]

Run the image worker in this process: the same handler Lambda runs, fed by a local SQS
event-source mapping (long polls, batches, deletes successes, leaves failures to SQS). Runs
until Ctrl-C, then finishes the batches it holds. Start as many as you like, on the local
cloud (started here if none runs on the state directory) or against a deployed stack's queue.

On the local cloud a worker holds only the images it is working on, each for
${SHORT_VISIBILITY_SECONDS} s renewed while it works: several workers share the backlog, and
the images of a worker that dies (even by kill -9) go to another within seconds. When the
cloud stops (\`stack up\` restarted), the worker says so and waits for it to come back.
With --config, the state directory remembers the config for the operator commands; without
it, a worker uses the config the state was last run with.

${optionsHelp(options)}`;

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  const concurrency = positiveInt('concurrency', values.concurrency, availableParallelism());
  // Listened for first: Ctrl-C (or SIGTERM) while the worker starts, or waits for its cloud,
  // stops it as cleanly as later, once it has started.
  const interrupted = listenForInterrupt();
  const stopRequested = interrupted.requested;
  // Test-only fault injection (test/chaos); never set in production.
  const faults = readTestFaults(process.env[FAULTS_ENV]);
  // Before the log file, which would make the directory.
  checkLocalState(values);
  const stateDir = values.state ?? DEFAULT_STATE_DIR;
  const logFile = openLogFile(stateDir);
  const target = await resolveTarget(values, {
    command: 'worker',
    // A worker outlives restarts of the cloud it joined: it waits for it as long as it runs.
    waitMs: Number.POSITIVE_INFINITY,
    log: logFile.logger('local-cloud'),
  });
  if (interrupted.signal.aborted) {
    await target.close();
    await logFile.close();
    return 0;
  }
  const config = target.config ?? (await loadConfig(undefined));
  if (target.kind === 'local' && values.config !== undefined)
    rememberConfig(stateDir, config, values.config);
  const workers = startWorkers(target, {
    config,
    concurrency,
    logFile,
    faults,
    shortLeases: target.kind === 'local',
  });
  await writeErr(
    `pixelmill worker (pid ${process.pid}): ${concurrency} batch${concurrency === 1 ? '' : 'es'} at once on ${target.resources.workQueueUrl}\n` +
      `Log: ${logFile.file}. Ctrl-C to stop.\n`,
  );
  await stopRequested;
  // Calls waiting for a cloud that is gone fail now, so the batches in hand can end.
  target.interrupt();
  await workers.stop();
  await target.close();
  await logFile.close();
  return 0;
}
