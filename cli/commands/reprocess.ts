/** `pixelmill reprocess`: bring an archive up to a config, plan first, at a rate; --prune after. */

import { availableParallelism } from 'node:os';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { DEFAULT_STATE_DIR } from '../../infra/local/state-dir.ts';
import { STACK_OUTPUTS } from '../../infra/topology.ts';
import { PruneWrites } from '../../lib/aws/prune-writes.ts';
import { readStackOutputs } from '../../lib/aws/stack-outputs.ts';
import { configHash } from '../../lib/config/parse.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { enqueueReprocess } from '../../lib/ops/reprocess-enqueue.ts';
import { planReprocess, type ReprocessPlan } from '../../lib/ops/reprocess-plan.ts';
import { type PruneReport, pruneReprocessed } from '../../lib/ops/reprocess-prune.ts';
import { readWorkerConfig } from '../../workers/worker-config.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { listenForInterrupt } from '../interrupt.ts';
import { prefixWarning, selectedKeyPrefix } from '../key-prefix.ts';
import { openLogFile } from '../log-file.ts';
import { writeErr, writeJson, writeOut } from '../output.ts';
import { planText, pruneText } from '../reprocess-text.ts';
import { rememberConfig } from '../state-config.ts';
import { type ResolvedTarget, resolveTarget, targetOptionSpec } from '../target.ts';
import { startWorkers } from '../workers.ts';

const { config: _anyConfig, ...where } = targetOptionSpec;

export const options = {
  prefix: {
    type: 'string',
    value: 'P',
    help: [
      'only keys starting with <uploads prefix>P (what ingest --prefix P wrote,',
      'or --prefix photos/ for `run ./photos`)',
    ],
  },
  config: {
    type: 'string',
    value: 'FILE',
    help: [
      "the config to bring the archive up to (default: locally the state's",
      'config; on a stack the deployed one)',
    ],
  },
  rate: { type: 'string', value: 'N', help: 'work items queued per second (default 50)' },
  'dry-run': {
    type: 'boolean',
    default: false,
    help: 'print the plan (and with --prune what would be deleted); change nothing',
  },
  prune: {
    type: 'boolean',
    default: false,
    help: 'after the work, delete renditions and rows of other configs',
  },
  concurrency: {
    type: 'string',
    value: 'N',
    help: `locally, batches the worker runs at once (default: ${availableParallelism()}, the CPU cores)`,
  },
  json: {
    type: 'boolean',
    default: false,
    help: 'machine-readable: plan, enqueued, after (the plan again), prune',
  },
  ...where,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill reprocess [--prefix P] [--config FILE] [--rate N] [--dry-run] [--prune] [--json]
                          [--state DIR | --stack NAME [--region R]] [--concurrency N]

Bring the images already processed up to a rendition config. First the plan, always printed:
for every object version in the uploads bucket under the prefix, from its rows, whether it is
up to date (a DONE or REJECTED row under the config), in progress, or to reprocess, and then
which of the config's presets no DONE row of that version has rendered (an unchanged preset
keeps its rendition key, so only changed and new presets are rendered by a worker that reuses
renditions); the renditions to render by preset; and the CPU it should take, estimated from each
image's recorded CPU time scaled by the share of presets it lacks (and the figure if every
preset is rendered again). Then one work item per image to reprocess, at --rate per second.

Locally the config becomes the state's config (\`status\`, \`audit\` and new workers use it) and
this command runs the worker itself, in this process, until the work queue is empty — as \`run\`
does — then checks the plan again: a reprocess has done its job when it returns. Stop other
\`pixelmill worker\`s on the state first: a worker keeps the config it started with, and the
images it takes would be done under the old one (the check then says how many remain).

On a deployed stack the worker's config is the one the stack was deployed with (its WorkerConfig
output): deploy the new config first, then reprocess. With --config, a file whose config is not
the deployed one is refused (the workers would find every image already done). The command
returns once the work is queued; \`pixelmill status --stack NAME\` shows it drain.

--prune then deletes, for every version up to date under the config, the renditions that only
rows of other configs list (old preset hashes) and those rows (a row whose renditions are gone
would be a false DONE to the audit), and rebuilds the table's counts; versions not up to date are
left whole. With --dry-run it prints what would be deleted.

${optionsHelp(options)}
Exit status: 0 done (locally: every version under the prefix up to date; on a stack: queued),
1 some not up to date after the work (locally), 2 usage error (a --config a stack does not run
included), 130 interrupted (what was queued stays queued).
`;

const DRAIN_POLL_MS = 1000;

/**
 * The config a stack's worker runs (its WorkerConfig output, read as the worker reads it at cold
 * start), refused when --config names another: the workers would find every image already done.
 */
export function deployedConfig(
  json: string | undefined,
  stack: string,
  requested: PixelmillConfig | undefined,
): PixelmillConfig {
  if (json === undefined)
    throw new UsageError(
      `Stack ${stack} has no ${STACK_OUTPUTS.workerConfig} output (deployed before pixelmill reprocess): deploy it again with this version, then reprocess`,
    );
  const deployed = readWorkerConfig(json);
  if (requested && configHash(requested) !== configHash(deployed))
    throw new UsageError(
      `--config is config ${configHash(requested)} but stack ${stack} runs config ${configHash(deployed)}: its workers would find every image already done. Deploy the new config first (npx cdk deploy), then run reprocess --stack ${stack}`,
    );
  return deployed;
}

/** How often, while the worker here works, a line says how far it got. */
const PROGRESS_EVERY_MS = 10_000;

/**
 * Waits until the work queue holds nothing (visible, in flight or delayed) twice in a row; every
 * PROGRESS_EVERY_MS says on stderr how many images settled here and what the queue holds.
 */
async function drained(
  t: ResolvedTarget,
  signal: AbortSignal,
  progress: (() => string) | undefined,
): Promise<void> {
  let empty = 0;
  let saidAt = Date.now();
  while (empty < 2 && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    const d = await t.workQueue.depth();
    empty = d.visible + d.inFlight + d.delayed === 0 ? empty + 1 : 0;
    if (progress && Date.now() - saidAt >= PROGRESS_EVERY_MS) {
      saidAt = Date.now();
      await writeErr(
        `pixelmill reprocess: ${progress()}; queue: ${d.visible} waiting, ${d.inFlight} in flight, ${d.delayed} delayed\n`,
      );
    }
  }
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  const rate = positiveInt('rate', values.rate, 50);
  const concurrency = positiveInt('concurrency', values.concurrency, availableParallelism());
  const dryRun = values['dry-run'];
  const interrupted = listenForInterrupt();
  const t = await resolveTarget(values, { command: 'reprocess' });
  try {
    const config =
      t.kind === 'aws'
        ? deployedConfig(
            (await readStackOutputs(t.target, t.stackName ?? ''))[STACK_OUTPUTS.workerConfig],
            t.stackName ?? '',
            t.config,
          )
        : t.config;
    if (!config) throw new UsageError('Expected a config');
    const named =
      values.config ?? (t.kind === 'aws' ? `deployed to ${t.stackName}` : 'the state’s config');
    const warning = prefixWarning(values.prefix, t.resources.uploadsPrefix);
    if (warning) await writeErr(warning);
    const prefix =
      selectedKeyPrefix(values.prefix, t.resources.uploadsPrefix) ?? t.resources.uploadsPrefix;
    const ctx = { ...t, configHash: configHash(config) };
    const plan = await planReprocess(ctx, config, { prefix, ratePerSecond: rate });
    if (!values.json) await writeOut(planText(plan, named));
    const writes = new PruneWrites(t.clients.s3, t.clients.dynamo, t.resources.table);
    const prune = (dry: boolean) => pruneReprocessed(ctx, writes, config, { prefix, dryRun: dry });
    const report = async (fields: {
      enqueued: number;
      after?: ReprocessPlan;
      pruned?: PruneReport;
    }) => {
      if (values.json) await writeJson({ dryRun, plan, ...fields });
      else if (fields.pruned) await writeOut(pruneText(fields.pruned));
    };
    if (dryRun) {
      await report({ enqueued: 0, ...(values.prune ? { pruned: await prune(true) } : {}) });
      if (!values.json && plan.toReprocess > 0)
        await writeErr('Run again without --dry-run to reprocess.\n');
      return 0;
    }
    const stateDir = values.state ?? DEFAULT_STATE_DIR;
    let workers: ReturnType<typeof startWorkers> | undefined;
    const settled = { DONE: 0, REJECTED: 0, FAILED: 0, RETRYING: 0, PROCESSING: 0 };
    let logFile: ReturnType<typeof openLogFile> | undefined;
    // The state's config from now on, even with nothing to do: the archive is (being) brought to it.
    if (t.kind === 'local' && values.config !== undefined)
      rememberConfig(stateDir, config, values.config);
    if (t.kind === 'local' && plan.toReprocess > 0) {
      logFile = openLogFile(stateDir);
      workers = startWorkers(t, {
        config,
        concurrency,
        logFile,
        shortLeases: true,
        onSettled: (row) => {
          if (row.configHash === ctx.configHash) settled[row.status]++;
        },
      });
    }
    const sent = await enqueueReprocess(ctx, config, {
      prefix,
      ratePerSecond: rate,
      signal: interrupted.signal,
    });
    if (!values.json)
      await writeErr(
        `pixelmill reprocess: queued ${sent.enqueued}${t.kind === 'local' && sent.enqueued > 0 ? '; working on them here until the queue is empty' : ''}\n`,
      );
    if (workers) {
      const progress = () =>
        `${settled.DONE} DONE, ${settled.REJECTED} REJECTED, ${settled.FAILED} FAILED of ${sent.enqueued}`;
      if (!sent.interrupted)
        await drained(t, interrupted.signal, values.json ? undefined : progress);
      t.interrupt();
      await workers.stop();
      await logFile?.close();
    }
    if (interrupted.signal.aborted) return 130;
    if (t.kind === 'aws') {
      const pruned = values.prune ? await prune(false) : undefined;
      await report({ enqueued: sent.enqueued, ...(pruned ? { pruned } : {}) });
      if (!values.json)
        await writeErr(
          `The deployed workers take them from here: pixelmill status --stack ${t.stackName ?? ''}\n`,
        );
      return 0;
    }
    // Locally the work is done: the plan again says whether all of it is.
    const after = await planReprocess(ctx, config, { prefix, ratePerSecond: rate });
    const pruned = values.prune ? await prune(false) : undefined;
    await report({ enqueued: sent.enqueued, after, ...(pruned ? { pruned } : {}) });
    if (!values.json)
      await writeErr(
        after.toReprocess + after.inProgress === 0
          ? `pixelmill reprocess: all ${after.versions} object versions up to date under config ${after.configHash}\n`
          : `pixelmill reprocess: ${after.toReprocess + after.inProgress} not up to date (another worker with another config on this state? pixelmill dlq list for failures); run reprocess again\n`,
      );
    return after.toReprocess + after.inProgress === 0 ? 0 : 1;
  } finally {
    interrupted.release();
    await t.close();
  }
}
