/**
 * Where an operator command works: the local cloud of a state directory (joined if a process runs
 * it, started in this process otherwise), or a deployed stack (`--stack NAME`, resources from its
 * outputs, credentials and region from the usual AWS configuration).
 */

import type { LocalCloudInfo } from '../infra/local/cloud.ts';
import { CloudAlreadyRunningError } from '../infra/local/errors.ts';
import {
  DEFAULT_STATE_DIR,
  processAlive,
  readCloudFile,
  statePaths,
} from '../infra/local/state-dir.ts';
import { STACK_OUTPUTS, topology } from '../infra/topology.ts';
import { type AwsClients, createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { Queue } from '../lib/aws/queue.ts';
import { readStackOutputs } from '../lib/aws/stack-outputs.ts';
import { type AwsTarget, LOCAL_CREDENTIALS } from '../lib/aws/target.ts';
import { configHash } from '../lib/config/parse.ts';
import type { PixelmillConfig } from '../lib/config/schema.ts';
import { UsageError } from '../lib/ops/errors.ts';
import type { OperatorContext } from '../lib/ops/operator-context.ts';
import type { PipelineResources } from '../lib/ops/resources.ts';
import type { PipelineLogger } from '../lib/pipeline/log.ts';
import { loadConfig } from './load-config.ts';
import { assertWritableDir } from './writable-path.ts';

export interface TargetOptions {
  readonly state?: string | undefined;
  readonly stack?: string | undefined;
  readonly region?: string | undefined;
  readonly config?: string | undefined;
}

export const targetOptionSpec = {
  state: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  config: { type: 'string' },
} as const;

export const targetHelp = `Where:
  --state DIR        the local cloud's state (default ${DEFAULT_STATE_DIR}); joined if running
  --stack NAME       a deployed stack instead (its outputs name the resources); AWS credentials
                     and region from the usual AWS configuration, or --region
  --region REGION    with --stack
  --config FILE      the rendition config whose rows count (default: the built-in presets
                     locally; on AWS without it, a row under any config counts)`;

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
  close(): Promise<void>;
}

async function localTarget(
  state: string,
  log: PipelineLogger | undefined,
): Promise<{ target: AwsTarget; cloud: LocalCloudInfo | undefined }> {
  const attach = (endpoint: string) => ({
    target: { region: topology.region, endpoint, credentials: LOCAL_CREDENTIALS },
    cloud: undefined,
  });
  // A cloud already runs on this state directory: join it without loading the emulators.
  const running = readCloudFile(statePaths(state));
  if (running && running.pid !== process.pid && processAlive(running.pid))
    return attach(running.endpoint);
  // Said in one line before the cloud's thread fails on it (the cloud makes the directory).
  assertWritableDir(state, '--state', { create: false });
  // In a thread of its own: off the event loop of this process's SDK clients and workers.
  const { startLocalCloudThread } = await import('../infra/local/cloud-thread.ts');
  try {
    const cloud = await startLocalCloudThread({
      stateDir: state,
      ...(log ? { log: { write: (level, message, fields) => log[level](message, fields) } } : {}),
    });
    return { target: cloud.target, cloud };
  } catch (error) {
    if (!(error instanceof CloudAlreadyRunningError)) throw error;
    return attach(error.endpoint);
  }
}

function required(outputs: Record<string, string>, name: string, stack: string): string {
  const value = outputs[name];
  if (!value)
    throw new UsageError(`Stack ${stack} has no output ${name}: is it a pixelmill stack?`);
  return value;
}

export async function resolveTarget(
  options: TargetOptions,
  log?: PipelineLogger,
): Promise<ResolvedTarget> {
  if (options.stack && options.state) throw new UsageError('Expected --state or --stack, not both');
  const config =
    options.config !== undefined || !options.stack ? await loadConfig(options.config) : undefined;
  let target: AwsTarget;
  let cloud: LocalCloudInfo | undefined;
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
    ({ target, cloud } = await localTarget(options.state ?? DEFAULT_STATE_DIR, log));
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
    async close() {
      clients.destroy();
      await cloud?.stop();
    },
  };
}
