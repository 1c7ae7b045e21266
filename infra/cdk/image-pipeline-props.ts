/**
 * ImagePipeline's props: what a platform team may set, the defaults, and the validation that
 * reports every problem at once (aws-solutions-constructs style). Values are merged in this order:
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
import { aws_lambda as lambda, aws_logs as logs, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  backlogThresholds,
  DEFAULT_VCPU_SECONDS_PER_IMAGE,
} from '../../events/alarm-conditions.ts';
import { POWERTOOLS_ENV, WORKER_ENV } from '../../events/worker-environment.ts';
import { createTopology, type Topology, TopologyError, topology } from '../topology.ts';
import { AUDIT_ENTRY, WORKER_ENTRY } from './paths.ts';
import {
  DEFAULT_IMAGE_LIMITS,
  IMAGE_LIMIT_RANGES,
  type ImageLimits,
  minimumTimeoutSeconds,
  requiredMemoryMb,
  vcpusFor,
  WORKER_SIZING,
} from './worker-sizing.ts';

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One rendition preset, as in pixelmill's config file (validated by the worker at cold start). */
export type PresetJson = { readonly [key: string]: JsonValue };

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
   * Rendition presets, as in pixelmill's config file (README "Config file"). Passed to the worker
   * as JSON and validated there at cold start; checked here only for shape and size.
   * @default the built-in presets (w1600, w800, w320 × JPEG and WebP)
   */
  readonly presets?: readonly PresetJson[];
  /** The limits on untrusted input, which also size the function. @default lib/config's limits */
  readonly limits?: Partial<ImageLimits>;
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
}

export interface ResolvedAuditSettings {
  readonly intervalMinutes: number;
  readonly repair: boolean;
  readonly checkRenditions: boolean;
  readonly reservedConcurrency: number | undefined;
  readonly entry: string;
}

export interface ResolvedAlarmSettings {
  readonly topic: sns.ITopic | undefined;
  readonly email: string | undefined;
  readonly vcpuSecondsPerImage: number;
  readonly expectedImagesPerSecond: number;
  readonly backlogObjectiveSeconds: number;
  readonly queueDepthThreshold: number;
  readonly workerErrorsThreshold: number;
  readonly workerThrottlesThreshold: number;
  readonly durationAlarmRatio: number;
  /** durationAlarmRatio × the timeout, in milliseconds. */
  readonly durationThresholdMs: number;
}

export interface ImagePipelineSettings {
  /** The merged queue, batching and naming settings, visibility timeout derived. */
  readonly topology: Topology;
  readonly uploadsBucket: s3.IBucket | undefined;
  readonly architecture: lambda.Architecture;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly maxConcurrency: number;
  readonly reservedConcurrency: number | undefined;
  readonly limits: ImageLimits;
  readonly presets: readonly PresetJson[] | undefined;
  /** PIXELMILL_CONFIG: the limits always (the function is sized for them), presets if given. */
  readonly workerConfigJson: string;
  readonly serviceName: string;
  readonly logLevel: WorkerLogLevel;
  readonly debugLogSampleRate: number;
  readonly logRetention: logs.RetentionDays;
  readonly noncurrentVersionExpirationDays: number;
  readonly removalPolicy: RemovalPolicy;
  readonly workerEntry: string;
  readonly alarms: ResolvedAlarmSettings;
  readonly audit: ResolvedAuditSettings;
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

/** Lambda's limit on all of a function's environment variables together (keys and values). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** The longest a physical name behind a token can be: S3 bucket names, DynamoDB table names. */
const MAX_BUCKET_NAME = 63;
const MAX_TABLE_NAME = 255;
/** Lambda's SQS event-source MaximumConcurrency range. */
const MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 };
/** The 14 days SQS keeps a message at most. */
const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

export class ImagePipelinePropsError extends Error {
  override readonly name = 'ImagePipelinePropsError';
  readonly problems: readonly string[];
  constructor(path: string, problems: readonly string[]) {
    super(`Invalid ImagePipeline props at ${path}:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

/** Drops keys whose value is undefined, so `{ ...defaults, ...props }` keeps the defaults. */
function defined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

function describe(value: unknown): string {
  if (Token.isUnresolved(value)) return 'an unresolved token';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${String(value)} of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

class Problems {
  readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  /** An integer in [min, max], known at synth (tokens cannot be checked or derived from). */
  int(name: string, value: unknown, min: number, max: number): value is number {
    if (
      typeof value !== 'number' ||
      Token.isUnresolved(value) ||
      !Number.isInteger(value) ||
      value < min ||
      value > max
    ) {
      this.add(
        `Expected integer between ${min} and ${max} for ${name} but received ${describe(value)}`,
      );
      return false;
    }
    return true;
  }

  /** A finite number in (exclusiveMin, max]. */
  number(name: string, value: unknown, exclusiveMin: number, max: number): value is number {
    if (
      typeof value !== 'number' ||
      Token.isUnresolved(value) ||
      !Number.isFinite(value) ||
      value <= exclusiveMin ||
      value > max
    ) {
      this.add(
        `Expected number above ${exclusiveMin} and at most ${max} for ${name} but received ${describe(value)}`,
      );
      return false;
    }
    return true;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON round-trips it unchanged (no functions, undefined, NaN, class instances, cycles). */
function isJsonSerialisable(value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(JSON.stringify(value))) === JSON.stringify(value);
  } catch {
    return false;
  }
}

/** The shape the worker's config schema needs; the worker checks everything else at cold start. */
function checkPresets(presets: unknown, problems: Problems): void {
  if (!Array.isArray(presets) || presets.length < 1 || presets.length > 32) {
    problems.add(
      `Expected an array of 1 to 32 presets for presets but received ${describe(presets)}`,
    );
    return;
  }
  if (!isJsonSerialisable(presets)) {
    problems.add('Expected presets to be plain JSON (no functions, undefined, NaN or cycles)');
  }
  const names = new Set<string>();
  presets.forEach((preset: unknown, index) => {
    const at = `presets[${index}]`;
    if (!isPlainObject(preset)) {
      problems.add(`Expected an object for ${at} but received ${describe(preset)}`);
      return;
    }
    if (typeof preset.name !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(preset.name)) {
      problems.add(
        `Expected 1-32 characters of a-z, 0-9, "_" or "-" for ${at}.name but received ${describe(preset.name)}`,
      );
    } else if (names.has(preset.name)) {
      problems.add(`Duplicate preset name "${preset.name}" at ${at}.name`);
    } else {
      names.add(preset.name);
    }
    if (!Array.isArray(preset.formats) || preset.formats.length < 1 || preset.formats.length > 6) {
      problems.add(
        `Expected an array of 1 to 6 formats for ${at}.formats but received ${describe(preset.formats)}`,
      );
    }
  });
}

/** The worker's environment, as the construct will set it (ImagePipeline builds it from this). */
export function workerEnvironment(
  settings: Pick<
    ImagePipelineSettings,
    'topology' | 'workerConfigJson' | 'serviceName' | 'logLevel' | 'debugLogSampleRate'
  >,
  names: { uploadsBucket: string; renditionsBucket: string; table: string },
): Record<string, string> {
  return {
    [WORKER_ENV.uploadsBucket]: names.uploadsBucket,
    [WORKER_ENV.uploadsPrefix]: settings.topology.uploadsPrefix,
    [WORKER_ENV.renditionsBucket]: names.renditionsBucket,
    [WORKER_ENV.table]: names.table,
    [WORKER_ENV.maxReceiveCount]: String(settings.topology.maxReceiveCount),
    [WORKER_ENV.config]: settings.workerConfigJson,
    [POWERTOOLS_ENV.serviceName]: settings.serviceName,
    [POWERTOOLS_ENV.logLevel]: settings.logLevel,
    [POWERTOOLS_ENV.debugSampleRate]: String(settings.debugLogSampleRate),
    // glibc's per-thread malloc arenas let repeated image decodes fragment the heap of a warm
    // function; two arenas keep its memory flat (bench/hostile-stress.ts measures it).
    MALLOC_ARENA_MAX: '2',
  };
}

/** Bytes of an environment (keys and values), the physical names behind tokens at their longest. */
export function environmentSizeBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(env)) {
    const longest =
      key === WORKER_ENV.renditionsBucket || key === WORKER_ENV.uploadsBucket
        ? MAX_BUCKET_NAME
        : key === WORKER_ENV.table
          ? MAX_TABLE_NAME
          : Buffer.byteLength(value);
    total += Buffer.byteLength(key) + longest;
  }
  return total;
}

function defaultServiceName(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const relative = scope.node.path.slice(stack.node.path.length + 1);
  return relative ? `${stack.stackName}/${relative}` : stack.stackName;
}

/**
 * Merges and validates the props of the ImagePipeline at `scope`. Throws ImagePipelinePropsError
 * listing every problem, so one synth shows them all.
 */
export function resolveImagePipelineSettings(
  scope: IConstruct,
  props: ImagePipelineProps,
): ImagePipelineSettings {
  const problems = new Problems();
  const user = defined(props);
  const alarmProps = defined(props.alarms);

  // Queue, batching and retention settings: topology.ts's defaults ← the user's props.
  const topologyOverrides = defined({
    uploadsPrefix: props.uploadsPrefix,
    batchSize: props.batchSize,
    batchWindowSeconds: props.batchWindowSeconds,
    maxReceiveCount: props.maxReceiveCount,
    workQueueRetentionSeconds: props.workQueueRetentionSeconds,
    deadLetterRetentionSeconds: props.deadLetterRetentionSeconds,
  });
  // topology.ts checks ranges; values it cannot check (tokens) are reported here, in props' words.
  for (const [key, value] of Object.entries(topologyOverrides)) {
    if (Token.isUnresolved(value)) {
      problems.add(`Expected a value known at synth for ${key} but received ${describe(value)}`);
      delete topologyOverrides[key as keyof typeof topologyOverrides];
    }
  }
  if (typeof props.uploadsPrefix === 'string' && props.uploadsPrefix.length === 0) {
    problems.add('Expected a non-empty uploadsPrefix ending with "/" but received ""');
  }

  // Limits: lib/config's defaults ← the user's.
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, ...defined(props.limits) };
  if (props.limits !== undefined && !isPlainObject(props.limits)) {
    problems.add(`Expected an object for limits but received ${describe(props.limits)}`);
  } else {
    for (const key of Object.keys(props.limits ?? {})) {
      if (!Object.hasOwn(IMAGE_LIMIT_RANGES, key)) {
        problems.add(
          `Unknown key "${key}" in limits (expected ${Object.keys(IMAGE_LIMIT_RANGES).join(', ')})`,
        );
      }
    }
  }
  let limitsValid = true;
  for (const [key, range] of Object.entries(IMAGE_LIMIT_RANGES)) {
    const name = key as keyof ImageLimits;
    limitsValid = problems.int(`limits.${name}`, limits[name], range.min, range.max) && limitsValid;
  }

  // The function: memory and timeout derived from the limits, unless given (then checked).
  const memoryNeeded = limitsValid ? requiredMemoryMb(limits) : topology.workerMemoryMb;
  const timeoutNeeded = limitsValid
    ? minimumTimeoutSeconds(limits)
    : WORKER_SIZING.safetyMarginSeconds + WORKER_SIZING.minRecordSeconds;
  if (memoryNeeded > WORKER_SIZING.maxMemoryMb) {
    problems.add(
      `limits.maxPixels ${limits.maxPixels} and limits.maxBytes ${limits.maxBytes} need ${memoryNeeded} MB ` +
        `for ${WORKER_SIZING.recordsAtOnce} images at once, above Lambda's ${WORKER_SIZING.maxMemoryMb} MB`,
    );
  }
  if (timeoutNeeded > WORKER_SIZING.maxTimeoutSeconds) {
    problems.add(
      `limits.timeoutSeconds ${limits.timeoutSeconds} needs a function timeout of ${timeoutNeeded} s, ` +
        `above Lambda's ${WORKER_SIZING.maxTimeoutSeconds} s`,
    );
  }
  const memoryMb =
    user.memoryMb ??
    Math.min(WORKER_SIZING.maxMemoryMb, Math.max(topology.workerMemoryMb, memoryNeeded));
  const timeoutSeconds =
    user.timeoutSeconds ??
    Math.min(
      WORKER_SIZING.maxTimeoutSeconds,
      Math.max(topology.workerTimeoutSeconds, timeoutNeeded),
    );
  if (
    problems.int('memoryMb', memoryMb, WORKER_SIZING.minMemoryMb, WORKER_SIZING.maxMemoryMb) &&
    memoryMb < memoryNeeded &&
    memoryNeeded <= WORKER_SIZING.maxMemoryMb
  ) {
    problems.add(
      `memoryMb ${memoryMb} is below the ${memoryNeeded} MB that ${WORKER_SIZING.recordsAtOnce} images ` +
        `at limits.maxPixels ${limits.maxPixels} need at once: raise memoryMb or lower limits.maxPixels`,
    );
  }
  if (
    problems.int('timeoutSeconds', timeoutSeconds, 1, WORKER_SIZING.maxTimeoutSeconds) &&
    timeoutSeconds < timeoutNeeded &&
    timeoutNeeded <= WORKER_SIZING.maxTimeoutSeconds
  ) {
    problems.add(
      `timeoutSeconds ${timeoutSeconds} is below the ${timeoutNeeded} s one image at ` +
        `limits.timeoutSeconds ${limits.timeoutSeconds} needs (with the record loop's margins)`,
    );
  }

  // topology.ts validates the queue settings and derives the visibility timeout.
  let merged: Topology = topology;
  try {
    merged = createTopology({
      ...topologyOverrides,
      workerTimeoutSeconds: timeoutSeconds,
      workerMemoryMb: memoryMb,
    });
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    // Timeout and memory problems were reported above, in the props' own words.
    for (const p of error.problems) {
      if (!/workerTimeoutSeconds|workerMemoryMb/.test(p)) problems.add(p);
    }
  }

  const architecture = user.architecture ?? IMAGE_PIPELINE_DEFAULTS.architecture;
  if (
    architecture.name !== lambda.Architecture.X86_64.name &&
    architecture.name !== lambda.Architecture.ARM_64.name
  ) {
    problems.add(`Expected x86_64 or arm64 for architecture but received ${architecture.name}`);
  }

  const maxConcurrency = user.maxConcurrency ?? IMAGE_PIPELINE_DEFAULTS.maxConcurrency;
  problems.int(
    'maxConcurrency',
    maxConcurrency,
    MAX_CONCURRENCY_RANGE.min,
    MAX_CONCURRENCY_RANGE.max,
  );
  const reservedConcurrency = user.reservedConcurrency;
  if (
    reservedConcurrency !== undefined &&
    problems.int('reservedConcurrency', reservedConcurrency, 1, 100_000) &&
    reservedConcurrency < maxConcurrency
  ) {
    problems.add(
      `reservedConcurrency ${reservedConcurrency} is below maxConcurrency ${maxConcurrency}: the event ` +
        'source would be throttled; make it at least maxConcurrency',
    );
  }

  if (props.presets !== undefined) checkPresets(props.presets, problems);
  const workerConfigJson = JSON.stringify({
    ...(props.presets !== undefined ? { presets: props.presets } : {}),
    limits,
  });

  const serviceName = user.serviceName ?? defaultServiceName(scope);
  if (typeof serviceName !== 'string' || serviceName.length < 1 || serviceName.length > 255) {
    problems.add(`Expected 1-255 characters for serviceName but received ${describe(serviceName)}`);
  }
  const logLevel = user.logLevel ?? IMAGE_PIPELINE_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.add(
      `Expected one of ${LOG_LEVELS.join(', ')} for logLevel but received ${describe(logLevel)}`,
    );
  }
  const debugLogSampleRate = user.debugLogSampleRate ?? IMAGE_PIPELINE_DEFAULTS.debugLogSampleRate;
  if (
    typeof debugLogSampleRate !== 'number' ||
    !(debugLogSampleRate >= 0 && debugLogSampleRate <= 1)
  ) {
    problems.add(
      `Expected a number from 0 to 1 for debugLogSampleRate but received ${describe(debugLogSampleRate)}`,
    );
  }
  const noncurrentVersionExpirationDays =
    user.noncurrentVersionExpirationDays ?? IMAGE_PIPELINE_DEFAULTS.noncurrentVersionExpirationDays;
  problems.int('noncurrentVersionExpirationDays', noncurrentVersionExpirationDays, 1, 3650);
  if (props.uploadsBucket !== undefined && props.noncurrentVersionExpirationDays !== undefined) {
    problems.add(
      'noncurrentVersionExpirationDays applies to the uploads bucket the construct creates; ' +
        'with your own uploadsBucket its lifecycle is yours',
    );
  }

  // The environment must fit Lambda's 4 KB, the physical names at their longest.
  const envBytes = environmentSizeBytes(
    workerEnvironment(
      { topology: merged, workerConfigJson, serviceName, logLevel, debugLogSampleRate },
      { uploadsBucket: '', renditionsBucket: '', table: '' },
    ),
  );
  if (envBytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    problems.add(
      `The worker's environment would take ${envBytes} bytes, over Lambda's ` +
        `${LAMBDA_ENVIRONMENT_LIMIT_BYTES}; the presets' JSON takes ` +
        `${Buffer.byteLength(workerConfigJson)}: use fewer or shorter presets`,
    );
  }

  // Alarms: thresholds derived from the retry span and the expected throughput.
  const vcpuSecondsPerImage =
    alarmProps.vcpuSecondsPerImage ?? IMAGE_PIPELINE_DEFAULTS.vcpuSecondsPerImage;
  problems.number(
    'alarms.vcpuSecondsPerImage',
    vcpuSecondsPerImage,
    0,
    WORKER_SIZING.maxTimeoutSeconds,
  );
  const expectedImagesPerSecond =
    (maxConcurrency * Math.min(vcpusFor(memoryMb), WORKER_SIZING.recordsAtOnce)) /
    vcpuSecondsPerImage;
  const { backlogObjectiveSeconds, queueDepthThreshold } = backlogThresholds({
    maxReceiveCount: merged.maxReceiveCount,
    visibilityTimeoutSeconds: merged.visibilityTimeoutSeconds,
    expectedImagesPerSecond,
    backlogObjectiveSeconds: alarmProps.backlogObjectiveSeconds,
    queueDepthThreshold: alarmProps.queueDepthThreshold,
  });
  problems.int('alarms.backlogObjectiveSeconds', backlogObjectiveSeconds, 60, FOURTEEN_DAYS);
  problems.int('alarms.queueDepthThreshold', queueDepthThreshold, 1, Number.MAX_SAFE_INTEGER);
  const workerErrorsThreshold =
    alarmProps.workerErrorsThreshold ?? IMAGE_PIPELINE_DEFAULTS.workerErrorsThreshold;
  problems.int('alarms.workerErrorsThreshold', workerErrorsThreshold, 0, Number.MAX_SAFE_INTEGER);
  const workerThrottlesThreshold =
    alarmProps.workerThrottlesThreshold ?? IMAGE_PIPELINE_DEFAULTS.workerThrottlesThreshold;
  problems.int(
    'alarms.workerThrottlesThreshold',
    workerThrottlesThreshold,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const durationAlarmRatio =
    alarmProps.durationAlarmRatio ?? IMAGE_PIPELINE_DEFAULTS.durationAlarmRatio;
  problems.number('alarms.durationAlarmRatio', durationAlarmRatio, 0, 1);
  const email = alarmProps.email;
  if (
    email !== undefined &&
    (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
  ) {
    problems.add(`Expected an e-mail address for alarms.email but received ${describe(email)}`);
  }

  const auditProps = defined(props.audit);
  const audit: ResolvedAuditSettings = {
    intervalMinutes: auditProps.intervalMinutes ?? IMAGE_PIPELINE_DEFAULTS.auditIntervalMinutes,
    repair: auditProps.repair ?? IMAGE_PIPELINE_DEFAULTS.auditRepair,
    checkRenditions: auditProps.checkRenditions ?? IMAGE_PIPELINE_DEFAULTS.auditCheckRenditions,
    reservedConcurrency: auditProps.reservedConcurrency,
    entry: auditProps.entry ?? IMAGE_PIPELINE_DEFAULTS.auditEntry,
  };
  problems.int('audit.intervalMinutes', audit.intervalMinutes, 5, 1440);
  if (audit.reservedConcurrency !== undefined) {
    problems.int('audit.reservedConcurrency', audit.reservedConcurrency, 1, 100_000);
  }

  if (problems.list.length > 0) throw new ImagePipelinePropsError(scope.node.path, problems.list);

  return {
    topology: merged,
    uploadsBucket: props.uploadsBucket,
    architecture,
    memoryMb,
    timeoutSeconds,
    maxConcurrency,
    reservedConcurrency,
    limits,
    presets: props.presets,
    workerConfigJson,
    serviceName,
    logLevel,
    debugLogSampleRate,
    logRetention: user.logRetention ?? IMAGE_PIPELINE_DEFAULTS.logRetention,
    noncurrentVersionExpirationDays,
    removalPolicy: user.removalPolicy ?? IMAGE_PIPELINE_DEFAULTS.removalPolicy,
    workerEntry: user.workerEntry ?? IMAGE_PIPELINE_DEFAULTS.workerEntry,
    alarms: {
      topic: alarmProps.topic,
      email,
      vcpuSecondsPerImage,
      expectedImagesPerSecond,
      backlogObjectiveSeconds,
      queueDepthThreshold,
      workerErrorsThreshold,
      workerThrottlesThreshold,
      durationAlarmRatio,
      durationThresholdMs: Math.round(durationAlarmRatio * timeoutSeconds * 1000),
    },
    audit,
  };
}
