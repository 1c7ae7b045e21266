/**
 * Where pixelmill runs, as data: resource names, queue and table settings, the worker's timeout
 * and batching, and the EventBridge rule. The CDK stack (infra/cdk) and the embedded local cloud
 * (infra/local) both read this; nothing here is written twice.
 *
 * Names are the local cloud's physical names and the CDK construct ids. On AWS, CloudFormation
 * generates physical names (bucket names are global), and the CLI reads them from stack outputs.
 */
import type { EventPattern } from '../events/event-pattern.ts';
import { IMAGE_TABLE_KEYS } from '../events/image-row.ts';
import { objectCreatedPattern } from '../events/object-created-rule.ts';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../events/retry-schedule.ts';

const DAY = 24 * 60 * 60;

export interface TopologyInput {
  readonly region: string;
  readonly uploadsBucket: string;
  /** Only keys under this prefix are processed; everything else in the bucket is ignored. */
  readonly uploadsPrefix: string;
  readonly renditionsBucket: string;
  readonly table: string;
  readonly workQueue: string;
  readonly deadLetterQueue: string;
  readonly ruleDeadLetterQueue: string;
  readonly ruleName: string;
  /** Lambda timeout; also the local event-source mapping's per-batch deadline. */
  readonly workerTimeoutSeconds: number;
  readonly workerMemoryMb: number;
  /** Records per invocation (Lambda's BatchSize). */
  readonly batchSize: number;
  /** Lambda's MaximumBatchingWindowInSeconds. */
  readonly batchWindowSeconds: number;
  /** Receives before SQS moves a message to the DLQ (the redrive policy). */
  readonly maxReceiveCount: number;
  readonly workQueueRetentionSeconds: number;
  readonly deadLetterRetentionSeconds: number;
}

export interface Topology extends TopologyInput {
  /**
   * Derived, never typed: AWS asks for at least six times the function timeout plus the batching
   * window, so a batch that is retried by Lambda's own throttling cannot reappear while a first
   * invocation still holds it.
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
   */
  readonly visibilityTimeoutSeconds: number;
  readonly tableKeys: typeof IMAGE_TABLE_KEYS;
  /** The rule pattern for the local uploads bucket. CDK calls `rulePattern` with its own name. */
  readonly rulePattern: EventPattern;
}

export const defaultTopologyInput: TopologyInput = {
  region: 'us-east-1',
  uploadsBucket: 'pixelmill-uploads',
  uploadsPrefix: 'uploads/',
  renditionsBucket: 'pixelmill-renditions',
  table: 'pixelmill-images',
  workQueue: 'pixelmill-work',
  deadLetterQueue: 'pixelmill-work-dlq',
  ruleDeadLetterQueue: 'pixelmill-rule-dlq',
  ruleName: 'pixelmill-object-created',
  workerTimeoutSeconds: 120,
  workerMemoryMb: 2048,
  batchSize: 10,
  batchWindowSeconds: 1,
  maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
  workQueueRetentionSeconds: 4 * DAY,
  deadLetterRetentionSeconds: 14 * DAY,
};

export function rulePattern(uploadsBucket: string, uploadsPrefix: string): EventPattern {
  return objectCreatedPattern({ bucket: uploadsBucket, prefix: uploadsPrefix });
}

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid topology:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

function problemsOf(t: TopologyInput): string[] {
  const problems: string[] = [];
  const int = (name: keyof TopologyInput, min: number, max: number) => {
    const value = t[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(
        `Expected integer between ${min} and ${max} for ${name} but received ${String(value)}`,
      );
    }
  };
  int('workerTimeoutSeconds', 1, 900);
  int('workerMemoryMb', 128, 10240);
  int('batchSize', 1, 10000);
  int('batchWindowSeconds', 0, 300);
  int('maxReceiveCount', 1, 1000);
  int('workQueueRetentionSeconds', 60, 14 * DAY);
  int('deadLetterRetentionSeconds', 60, 14 * DAY);
  if (t.batchSize > 10 && t.batchWindowSeconds < 1) {
    problems.push('batchSize above 10 needs a batchWindowSeconds of at least 1 (Lambda rule)');
  }
  if (t.deadLetterRetentionSeconds <= t.workQueueRetentionSeconds) {
    problems.push(
      'deadLetterRetentionSeconds must be longer than workQueueRetentionSeconds: SQS keeps a ' +
        "message's original enqueue time when it moves to the DLQ, so a shorter DLQ retention " +
        'deletes failed messages before anyone sees them',
    );
  }
  if (!t.uploadsPrefix.endsWith('/')) {
    problems.push(`Expected uploadsPrefix to end with "/" but received ${t.uploadsPrefix}`);
  }
  if (t.uploadsBucket === t.renditionsBucket) {
    problems.push('uploadsBucket and renditionsBucket must differ (outputs never trigger work)');
  }
  return problems;
}

/** The default topology with overrides (tests shrink timeouts), validated, with derived values. */
export function createTopology(overrides: Partial<TopologyInput> = {}): Topology {
  const input: TopologyInput = { ...defaultTopologyInput, ...overrides };
  const problems = problemsOf(input);
  if (problems.length > 0) throw new TopologyError(problems);
  return {
    ...input,
    visibilityTimeoutSeconds: 6 * input.workerTimeoutSeconds + input.batchWindowSeconds,
    tableKeys: IMAGE_TABLE_KEYS,
    rulePattern: rulePattern(input.uploadsBucket, input.uploadsPrefix),
  };
}

export const topology: Topology = createTopology();

/** The CloudFormation stack name `cdk synth`/`cdk deploy` use, and the CLI's `--stack` default. */
export const STACK_NAME = 'Pixelmill';

/**
 * The stack's output names: the contract between this stack and the CLI, which finds the deployed
 * resources with `--stack NAME` (CloudFormation DescribeStacks → Outputs) instead of guessing the
 * physical names CloudFormation generated.
 */
export const STACK_OUTPUTS = {
  uploadsBucketName: 'UploadsBucketName',
  /** Only keys under it are processed (the audit and ingest need it). */
  uploadsPrefix: 'UploadsPrefix',
  renditionsBucketName: 'RenditionsBucketName',
  workQueueUrl: 'WorkQueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  ruleDeadLetterQueueUrl: 'RuleDeadLetterQueueUrl',
  tableName: 'TableName',
  /** The SNS topic every alarm notifies (subscribe a pager, chat or e-mail to it). */
  alarmTopicArn: 'AlarmTopicArn',
  /** Every alarm's name starts with it (`pixelmill status` reads their states). */
  alarmNamePrefix: 'AlarmNamePrefix',
  /** The worker's PIXELMILL_CONFIG (`pixelmill reprocess --stack` checks it is the one asked for). */
  workerConfig: 'WorkerConfig',
} as const;

export type StackOutputName = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];
