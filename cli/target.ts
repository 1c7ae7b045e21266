/**
 * Where an operator command works: the local cloud of a state directory (joined if a process runs
 * it, started in this process otherwise), or a deployed stack (`--stack NAME`, resources from its
 * outputs, credentials and region from the usual AWS configuration).
 */

import type { PixelmillConfig } from '../events/config/schema.ts';
import type { LocalCloudInfo } from '../infra/local/cloud.ts';
import { DEFAULT_STATE_DIR, isStateDir, statePaths } from '../infra/local/state-dir.ts';
import { STACK_OUTPUTS, topology } from '../infra/topology.ts';
import { type AwsClients, createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { Queue } from '../lib/aws/queue.ts';
import { readStackOutputs } from '../lib/aws/stack-outputs.ts';
import { type AwsTarget, LOCAL_CREDENTIALS } from '../lib/aws/target.ts';
import { configHash, defaultConfig } from '../lib/config/parse.ts';
import { UsageError } from '../lib/ops/errors.ts';
import type { OperatorContext } from '../lib/ops/operator-context.ts';
import type { PipelineResources } from '../lib/ops/resources.ts';
import type { PipelineLogger } from '../lib/pipeline/log.ts';
import type { OptionSpec } from './args.ts';
import { LocalCloudLink } from './cloud-link.ts';
import { connectCloud } from './connect-cloud.ts';
import { loadConfig } from './load-config.ts';
import { writeErr } from './output.ts';
import { describeConfig, rememberedConfig } from './state-config.ts';
import { assertWritableDir, danglingLinkOn } from './writable-path.ts';

export interface TargetOptions {
  readonly state?: string | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
  readonly config?: string | undefined;
}

/** Where an operator command works: spread into its options, before `help`. */
export const targetOptionSpec = {
  state: {
    type: 'string',
    value: 'DIR',
    section: 'Where:',
    help: [
      `the local cloud's state (default ${DEFAULT_STATE_DIR}); it must exist (made`,
      'by `pixelmill run` or `stack up`); its cloud is joined if running',
    ],
  },
  stack: {
    type: 'string',
    value: 'NAME',
    help: [
      'a deployed stack instead (its outputs name the resources); AWS credentials',
      'and region from the usual AWS configuration, or --region',
    ],
  },
  region: { type: 'string', value: 'REGION', help: 'with --stack' },
  config: {
    type: 'string',
    value: 'FILE',
    help: [
      'the rendition config whose rows count (default: locally, the config the',
      'state was last run with, else the built-in presets; on AWS without it, a',
      'row under any config counts)',
    ],
  },
} as const satisfies OptionSpec;

/** How a command uses the local cloud (the defaults suit the one-shot operator commands). */
export interface LocalTargetOptions {
  /** The command's name, for the lines it prints (`pixelmill worker: …`). */
  readonly command?: string;
  /** Make the state directory when it does not exist (run, stack up); others refuse it. */
  readonly create?: boolean;
  /** When the cloud this process joined stops, run it here (pixelmill run). */
  readonly host?: boolean;
  /** How long a call waits for a cloud that stopped answering (default 60 s). */
  readonly waitMs?: number;
  /** The config to count rows under, whatever --config or the state say (pixelmill run). */
  readonly config?: PixelmillConfig;
  readonly log?: PipelineLogger;
}

const DEFAULT_WAIT_MS = 60_000;

export interface ResolvedTarget extends OperatorContext {
  /** The rendition config (`--config`, or the defaults; undefined on AWS without `--config`). */
  readonly config: PixelmillConfig | undefined;
  readonly kind: 'local' | 'aws';
  /** The local cloud's state directory, or the deployed stack's name. */
  readonly stateDir: string | undefined;
  readonly stackName: string | undefined;
  readonly target: AwsTarget;
  readonly clients: AwsClients;
  readonly maxReceiveCount: number;
  /** Where EventBridge puts upload events it could not deliver. */
  readonly ruleDeadLetterQueue: Queue;
  /** The deployed alarms' name prefix (a stack output); undefined locally. */
  readonly alarmNamePrefix: string | undefined;
  /** Set when this process started the local cloud (and stops it on close). */
  readonly cloud: LocalCloudInfo | undefined;
  /** Calls waiting for a local cloud that stopped answering fail now (before stopping work). */
  interrupt(): void;
  close(): Promise<void>;
}

function say(how: LocalTargetOptions) {
  return (line: string) => {
    void writeErr(`pixelmill${how.command ? ` ${how.command}` : ''}: ${line}\n`);
  };
}

/**
 * Refuses a state directory that does not exist (or holds no pixelmill state) unless the command
 * makes one: a mistyped --state or another working directory would otherwise start an empty
 * cloud and report all clear.
 */
export function checkLocalState(options: TargetOptions, how: LocalTargetOptions = {}): void {
  if (options.stack || how.create) return;
  const paths = statePaths(options.state ?? DEFAULT_STATE_DIR);
  if (isStateDir(paths)) return;
  const dangling = danglingLinkOn(paths.root);
  if (dangling)
    throw new UsageError(
      `No pixelmill state in --state ${paths.root}: ${dangling.link} is a symbolic link to ${dangling.target}, which does not exist`,
    );
  throw new UsageError(
    `No pixelmill state in ${paths.root}${options.state === undefined ? ' (the default --state, under the working directory)' : ''}: run \`pixelmill run\` or \`pixelmill stack up\` there first, or name another with --state`,
  );
}

async function localTarget(
  state: string,
  how: LocalTargetOptions,
): Promise<{
  target: AwsTarget;
  cloud: LocalCloudInfo | undefined;
  link: LocalCloudLink | undefined;
}> {
  const log = how.log;
  const threadLog = log
    ? {
        write: (level: keyof PipelineLogger, message: string, fields?: Record<string, unknown>) =>
          log[level](message, fields),
      }
    : undefined;
  const waitMs = how.waitMs ?? DEFAULT_WAIT_MS;
  // Said in one line before the cloud's thread fails on it (the cloud makes the directory).
  assertWritableDir(state, '--state', { create: false });
  const connection = await connectCloud(state, {
    log: threadLog,
    waitMs: Math.min(waitMs, DEFAULT_WAIT_MS),
    onWait: () => say(how)('waiting for the local cloud another pixelmill process is starting'),
  });
  // Started here, in a thread of its own: off the event loop of this process's SDK clients.
  if (connection.kind === 'started')
    return { target: connection.cloud.target, cloud: connection.cloud, link: undefined };
  // Run by another process, which may stop it (and start it again) while this one works.
  const link = new LocalCloudLink(connection.cloud, {
    stateDir: state,
    host: how.host ?? false,
    waitMs,
    say: say(how),
    log: threadLog,
  });
  return {
    target: {
      region: topology.region,
      endpoint: connection.cloud.endpoint,
      credentials: LOCAL_CREDENTIALS,
      cloudLink: link,
    },
    cloud: undefined,
    link,
  };
}

/**
 * The config whose rows count: the command's own, --config, or locally the one the state was
 * last run with (saying so when it is not the defaults).
 */
async function configFor(
  options: TargetOptions,
  how: LocalTargetOptions,
): Promise<PixelmillConfig | undefined> {
  if (how.config) return how.config;
  if (options.stack) return options.config === undefined ? undefined : loadConfig(options.config);
  const state = options.state ?? DEFAULT_STATE_DIR;
  const remembered = rememberedConfig(state);
  if (options.config !== undefined) {
    const config = await loadConfig(options.config);
    if (remembered && configHash(remembered.config) !== configHash(config))
      say(how)(
        `note: ${state} was last run with another config (${describeConfig(remembered)}); using ${options.config}`,
      );
    return config;
  }
  if (!remembered) return defaultConfig();
  if (configHash(remembered.config) !== configHash(defaultConfig()))
    say(how)(
      `using the config ${state} was last run with (${describeConfig(remembered)}, kept in its config.json); --config FILE for another`,
    );
  return remembered.config;
}

function required(outputs: Record<string, string>, name: string, stack: string): string {
  const value = outputs[name];
  if (!value)
    throw new UsageError(`Stack ${stack} has no output ${name}: is it a pixelmill stack?`);
  return value;
}

export async function resolveTarget(
  options: TargetOptions,
  how: LocalTargetOptions = {},
): Promise<ResolvedTarget> {
  if (options.stack && options.state) throw new UsageError('Expected --state or --stack, not both');
  checkLocalState(options, how);
  const config = await configFor(options, how);
  let target: AwsTarget;
  let cloud: LocalCloudInfo | undefined;
  let link: LocalCloudLink | undefined;
  let resources: PipelineResources;
  let clients: AwsClients;
  let workQueue: Queue;
  let deadLetterQueue: Queue;
  let ruleDeadLetterQueue: Queue;
  let alarmNamePrefix: string | undefined;
  if (options.stack) {
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('Expected --region (or AWS_REGION) with --stack');
    target = { region };
    const outputs = await readStackOutputs(target, options.stack);
    clients = createAwsClients(target);
    const workUrl = required(outputs, STACK_OUTPUTS.workQueueUrl, options.stack);
    const dlqUrl = required(outputs, STACK_OUTPUTS.deadLetterQueueUrl, options.stack);
    resources = {
      uploadsBucket: required(outputs, STACK_OUTPUTS.uploadsBucketName, options.stack),
      uploadsPrefix: outputs[STACK_OUTPUTS.uploadsPrefix] ?? topology.uploadsPrefix,
      renditionsBucket: required(outputs, STACK_OUTPUTS.renditionsBucketName, options.stack),
      table: required(outputs, STACK_OUTPUTS.tableName, options.stack),
      workQueueUrl: workUrl,
      deadLetterQueueUrl: dlqUrl,
    };
    workQueue = new Queue(clients.sqs, workUrl, '');
    deadLetterQueue = new Queue(clients.sqs, dlqUrl, '');
    ruleDeadLetterQueue = new Queue(
      clients.sqs,
      required(outputs, STACK_OUTPUTS.ruleDeadLetterQueueUrl, options.stack),
      '',
    );
    alarmNamePrefix = outputs[STACK_OUTPUTS.alarmNamePrefix];
  } else {
    ({ target, cloud, link } = await localTarget(options.state ?? DEFAULT_STATE_DIR, how));
    clients = createAwsClients(target);
    workQueue = await Queue.byName(clients.sqs, topology.workQueue);
    deadLetterQueue = await Queue.byName(clients.sqs, topology.deadLetterQueue);
    ruleDeadLetterQueue = await Queue.byName(clients.sqs, topology.ruleDeadLetterQueue);
    resources = {
      uploadsBucket: topology.uploadsBucket,
      uploadsPrefix: topology.uploadsPrefix,
      renditionsBucket: topology.renditionsBucket,
      table: topology.table,
      workQueueUrl: workQueue.url,
      deadLetterQueueUrl: deadLetterQueue.url,
    };
  }
  const settings = await workQueue.settings();
  return {
    kind: options.stack ? 'aws' : 'local',
    stateDir: options.stack ? undefined : (options.state ?? DEFAULT_STATE_DIR),
    stackName: options.stack,
    target,
    clients,
    cloud,
    resources,
    store: new ObjectStore(clients.s3),
    table: new ImageTable(clients.dynamo, resources.table),
    workQueue,
    deadLetterQueue,
    ruleDeadLetterQueue,
    alarmNamePrefix,
    config,
    configHash: config ? configHash(config) : undefined,
    visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
    maxReceiveCount: settings.maxReceiveCount ?? topology.maxReceiveCount,
    interrupt() {
      link?.interrupt();
    },
    async close() {
      clients.destroy();
      await link?.close();
      await cloud?.stop();
    },
  };
}
