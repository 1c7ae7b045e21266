/**
 * ImagePipeline's props: what a platform team may set, and the defaults. settings/resolve.ts
 * merges and validates them, reporting every problem at once (aws-solutions-constructs style).
 * Values are merged in this order:
 *
 *   defaults (infra/topology.ts and the constants below) ← the user's props ← derived values
 *
 * and then the construct applies what it requires whatever the props say (encryption, TLS only,
 * Block Public Access, partial batch responses, the DLQs): those are not props at all.
 *
 * Derived, never typed: the visibility timeout (topology.ts), the function's memory and timeout
 * (worker-sizing.ts, from the image limits), the alarm thresholds (from the retry span and the
 * expected throughput). A prop given explicitly is checked against what it must cover.
 */

import type { aws_s3 as s3, aws_sns as sns } from 'aws-cdk-lib';
import { aws_lambda as lambda, aws_logs as logs, RemovalPolicy } from 'aws-cdk-lib';
import { DEFAULT_VCPU_SECONDS_PER_IMAGE } from '../../events/alarm-conditions.ts';
import type { LimitsInput, PresetInput } from '../../events/config/schema.ts';
import { AUDIT_ENTRY, WORKER_ENTRY } from './paths.ts';

/**
 * One rendition preset, as in pixelmill's config file, typed and validated by the worker's own
 * schema (events/config/schema.ts) at synth.
 */
export type PresetJson = PresetInput;

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type WorkerLogLevel = (typeof LOG_LEVELS)[number];

export interface PipelineAlarmProps {
  /**
   * The topic every alarm notifies (bring your own, e.g. a KMS-encrypted one whose key policy lets
   * cloudwatch.amazonaws.com use the key).
   * @default a new topic that denies publishing without TLS and lets only this account's alarms publish
   */
  readonly topic?: sns.ITopic;
  /** An e-mail address subscribed to the topic (confirm the subscription e-mail). @default none */
  readonly email?: string;
  /**
   * Seconds one image takes on one vCPU; sets the expected throughput that the queue-depth
   * threshold is derived from. Measured: docs/aws.md#cost-per-million-images.
   * @default 0.62
   */
  readonly vcpuSecondsPerImage?: number;
  /**
   * The backlog objective: how old the oldest queued image may get, and how long a backlog may
   * take to drain, before someone is told.
   * @default maxReceiveCount × the visibility timeout: the longest a message being retried can
   * legitimately wait, so one image failing and retrying never fires it (the DLQ alarm does)
   */
  readonly backlogObjectiveSeconds?: number;
  /**
   * Visible messages in the work queue that mean a backlog the workers cannot drain within the
   * objective.
   * @default ceil(expected images/s × backlogObjectiveSeconds), where expected images/s =
   * maxConcurrency × min(vCPUs, records at once) / vcpuSecondsPerImage
   */
  readonly queueDepthThreshold?: number;
  /** Worker errors (invocations that failed as a whole) in 5 minutes above which to alarm. @default 0 */
  readonly workerErrorsThreshold?: number;
  /** Throttled worker invocations in 5 minutes above which to alarm. @default 0 */
  readonly workerThrottlesThreshold?: number;
  /** Alarm when the longest invocation in 5 minutes exceeds this share of the timeout. @default 0.8 */
  readonly durationAlarmRatio?: number;
}

export interface ImagePipelineProps {
  /**
   * An existing uploads bucket. The construct does not change it: its owner must turn on Amazon
   * EventBridge notifications for it (docs/aws.md#bring-your-own-uploads-bucket), and versioning,
   * lifecycle, encryption and logging stay theirs. If it is encrypted with a KMS key, import it
   * with `encryptionKey` so the worker may decrypt.
   * @default a new versioned, encrypted, TLS-only bucket with EventBridge notifications on
   */
  readonly uploadsBucket?: s3.IBucket;
  /** Only keys under this prefix are processed. @default "uploads/" (topology.ts) */
  readonly uploadsPrefix?: string;
  /** @default x86_64 (the per-image time is measured there); arm64 is 20 % cheaper per GB-second */
  readonly architecture?: lambda.Architecture;
  /**
   * @default the larger of 2048 (topology.ts) and what `limits` need: two images at the pixel and
   * byte limits at once (worker-sizing.ts)
   */
  readonly memoryMb?: number;
  /** @default the larger of 120 (topology.ts) and the least that one image at `limits.timeoutSeconds` needs */
  readonly timeoutSeconds?: number;
  /** Records per invocation. @default 10 (topology.ts) */
  readonly batchSize?: number;
  /** Seconds Lambda may wait to fill a batch. @default 1 (topology.ts) */
  readonly batchWindowSeconds?: number;
  /** The event source's MaximumConcurrency: concurrent invocations for this queue (2–1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Reserved concurrency for the function (at least maxConcurrency). @default none */
  readonly reservedConcurrency?: number;
  /** Receives before a message moves to the DLQ. @default 5 (topology.ts) */
  readonly maxReceiveCount?: number;
  /** @default 4 days (topology.ts) */
  readonly workQueueRetentionSeconds?: number;
  /** Longer than the work queue's, always. @default 14 days (topology.ts) */
  readonly deadLetterRetentionSeconds?: number;
  /**
   * Rendition presets, as in pixelmill's config file (README "Config file"). Validated at synth
   * with the worker's own schema, and passed to the worker as JSON.
   * @default the built-in presets (w1600, w800, w320 × JPEG and WebP)
   */
  readonly presets?: readonly PresetJson[];
  /**
   * The limits on untrusted input, which also size the function; validated at synth with the
   * worker's own schema. @default the config schema's limits (events/config/schema.ts)
   */
  readonly limits?: LimitsInput;
  /**
   * The `service` of every log line and the `service` dimension of every metric.
   * @default "<stack name>/<construct path in the stack>", unique per account and region
   */
  readonly serviceName?: string;
  /** @default "INFO" */
  readonly logLevel?: WorkerLogLevel;
  /** Share of invocations (0–1) that log at DEBUG whatever the level. @default 0.01 */
  readonly debugLogSampleRate?: number;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Days an overwritten or deleted upload's old version is kept (owned bucket only). @default 30 */
  readonly noncurrentVersionExpirationDays?: number;
  /** For the buckets, table and log group the construct creates. @default RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  readonly alarms?: PipelineAlarmProps;
  /** The scheduled completeness audit (uploads ⨝ table ⨝ DLQ). */
  readonly audit?: ScheduledAuditProps;
  /** Absolute path of the worker's entry module (tests use a stub). @default workers/process.ts */
  readonly workerEntry?: string;
}

export interface ScheduledAuditProps {
  /** Minutes between two audits (5–1440). @default 60 */
  readonly intervalMinutes?: number;
  /**
   * Re-enqueue the gaps it finds (lost events, stuck work, DONE rows missing renditions). The
   * AuditGaps alarm fires either way, so someone looks at why. @default true
   */
  readonly repair?: boolean;
  /** List the renditions bucket to check DONE rows (off for very large buckets). @default true */
  readonly checkRenditions?: boolean;
  /**
   * Reserve this much concurrency for the audit function (1: one audit at a time, guaranteed a
   * slot). Opt-in: Lambda refuses any reservation that leaves the account fewer than 100
   * unreserved concurrent executions, so it fails the deploy in a new account whose quota is 10
   * or 50. Without it two audits can at most overlap, and their repairs are idempotent.
   * https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html
   * @default none
   */
  readonly reservedConcurrency?: number;
  /** Absolute path of the audit's entry module (tests use a stub). @default workers/audit.ts */
  readonly entry?: string;
  /**
   * Start each pass from the newest S3 Inventory report of the uploads bucket instead of listing
   * it (worth it past ~100 million versions: docs/aws.md#the-scheduled-audit-at-scale). The
   * inventory itself is yours to configure on the uploads bucket: CSV, all versions, with the
   * fields Size, LastModifiedDate and ETag. Uploads after a report's date are audited by the next
   * report. The audit may read (s3:GetObject, s3:ListBucket) that report prefix only.
   * @default none: the audit lists the bucket
   */
  readonly inventory?: AuditInventoryProps;
}

/** Where S3 delivers the uploads bucket's inventory reports. */
export interface AuditInventoryProps {
  /** The inventory's destination bucket. */
  readonly bucket: s3.IBucket;
  /** The inventory's destination prefix, without a trailing `/` (S3 adds one). @default none */
  readonly destinationPrefix?: string;
  /** The inventory configuration's id (its name). */
  readonly configId: string;
}

export const IMAGE_PIPELINE_DEFAULTS = {
  architecture: lambda.Architecture.X86_64,
  maxConcurrency: 10,
  logLevel: 'INFO',
  debugLogSampleRate: 0.01,
  logRetention: logs.RetentionDays.ONE_MONTH,
  noncurrentVersionExpirationDays: 30,
  removalPolicy: RemovalPolicy.RETAIN,
  workerEntry: WORKER_ENTRY,
  auditIntervalMinutes: 60,
  auditRepair: true,
  auditCheckRenditions: true,
  auditEntry: AUDIT_ENTRY,
  vcpuSecondsPerImage: DEFAULT_VCPU_SECONDS_PER_IMAGE,
  workerErrorsThreshold: 0,
  workerThrottlesThreshold: 0,
  durationAlarmRatio: 0.8,
} as const;

export class ImagePipelinePropsError extends Error {
  override readonly name = 'ImagePipelinePropsError';
  readonly problems: readonly string[];
  constructor(path: string, problems: readonly string[]) {
    super(`Invalid ImagePipeline props at ${path}:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}
