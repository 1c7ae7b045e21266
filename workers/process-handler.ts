/**
 * The image worker: Middy wiring over lib/pipeline. Built once per cold start (or once per local
 * worker process) from explicit settings; the Lambda entry point (process.ts) reads them from the
 * environment, the CLI passes them for the local cloud.
 *
 * Middlewares, each doing one job:
 * - Powertools `injectLambdaContext`: the Lambda context on every log line, keys reset after each
 *   invocation, the debug-sampling decision refreshed per invocation;
 * - Powertools `logMetrics`: the invocation's metrics flushed as one EMF blob when it ends;
 * - `@middy/sqs-partial-batch-failure`: settled record results → `batchItemFailures`.
 *
 * Pixels are rendered in the pixel pool's child processes (lib/imaging/pool), started here at cold
 * start: this process's event loop only talks to S3, SQS and DynamoDB.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PixelmillConfig } from '../events/config/schema.ts';
import { DLQ_ATTRIBUTES } from '../events/dead-letter.ts';
import { DEFERRAL_ATTRIBUTE } from '../events/deferral.ts';
import type { ImageRow } from '../events/image-row.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { QueueDirectory } from '../lib/aws/queue-directory.ts';
import type { AwsTarget } from '../lib/aws/target.ts';
import { configHash } from '../lib/config/parse.ts';
import type { DeclaredType } from '../lib/imaging/analyse.ts';
import { PixelPool } from '../lib/imaging/pool/pixel-pool.ts';
import type { PixelPoolStats } from '../lib/imaging/pool/pool-types.ts';
import { errorCode, errorMessage } from '../lib/pipeline/errors.ts';
import type { LeasePolicy } from '../lib/pipeline/lease.ts';
import type { PipelineLogger } from '../lib/pipeline/log.ts';
import type { ImageOutcome } from '../lib/pipeline/metrics.ts';
import {
  type BatchHooks,
  type BatchOptions,
  defaultBatchOptions,
  processBatch,
} from '../lib/pipeline/process-batch.ts';
import type { QueueRecord } from '../lib/pipeline/process-record.ts';
import type { LineSink } from './telemetry/line-sink.ts';
import { createWorkerTelemetry } from './telemetry/worker-telemetry.ts';

export interface WorkerSettings {
  readonly target: AwsTarget;
  /** The bucket and key prefix whose objects this worker processes; events for others are refused. */
  readonly uploadsBucket: string;
  readonly uploadsPrefix: string;
  readonly renditionsBucket: string;
  readonly table: string;
  readonly maxReceiveCount: number;
  readonly config: PixelmillConfig;
  readonly batch?: Partial<BatchOptions>;
  /**
   * Where structured log lines and EMF metric blobs go, one JSON document per call.
   * @default stdout/stderr, which Lambda sends to CloudWatch Logs
   */
  readonly output?: LineSink;
  /** Keys on every log line (the CLI adds its component and process id). */
  readonly logKeys?: Readonly<Record<string, string | number>>;
  /** @default POWERTOOLS_SERVICE_NAME, else "pixelmill-worker" */
  readonly serviceName?: string;
  /** Replaces the Powertools logger for the pipeline's own lines (tests pass silentLogger). */
  readonly log?: PipelineLogger;
  /** Told about every record's outcome, besides the metrics (the CLI counts progress with it). */
  readonly onOutcome?: (outcome: ImageOutcome) => void;
  /**
   * Told each row the worker finishes (DONE, REJECTED, FAILED), as written, with the bytes of
   * the renditions it just stored (pixelmill run exports them without downloading them); and
   * each RETRYING row a transient failure leaves (what is retrying, and why).
   */
  readonly onSettled?: (row: ImageRow, stored?: ReadonlyMap<string, Buffer>) => void;
  /** Claim lease length and renewal period (default 15 s / 5 s). */
  readonly lease?: LeasePolicy;
  /**
   * How far past now each lease renewal pushes the record's message visibility. Default: the
   * queue's visibility timeout (Lambda's consumer receives with it). A local worker receives
   * with a short one and keeps it short, so that its messages come back soon if it dies.
   */
  readonly visibilityExtensionSeconds?: number;
  /** The pixel pool's processes. */
  readonly pixels?: {
    /** @default the CPU cores */
    readonly processes?: number;
    /** The child's entry. @default workers/pixel-child.ts beside this file (unbundled) */
    readonly childModule?: string | URL;
  };
}

export type SqsBatchHandler = ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) & {
  /** Stops the pixel processes (a local worker shutting down; Lambda never calls it). */
  close(): Promise<void>;
  /** What the pixel processes have done: images rendered, presets rendered, processes killed. */
  readonly pixels: Readonly<PixelPoolStats>;
};

/**
 * What a pixel process may see of this one's environment: enough to run, never credentials (on
 * Lambda the function's AWS keys are environment variables) — it parses untrusted images. The
 * compile cache's directory (set by the local launcher) lets it start from V8's cached code.
 */
const PIXEL_CHILD_ENV = [
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'LC_ALL',
  'TZ',
  'NODE_COMPILE_CACHE',
] as const;

/** The pixel child's source, run directly by Node 24 (the Lambda bundle names its own). */
const PIXEL_CHILD_SOURCE = new URL('./pixel-child.ts', import.meta.url);

export function createProcessHandler(settings: WorkerSettings): SqsBatchHandler {
  const clients = createAwsClients(settings.target);
  const telemetry = createWorkerTelemetry({
    output: settings.output,
    logKeys: settings.logKeys,
    serviceName: settings.serviceName,
  });
  const log = settings.log ?? telemetry.log;
  const pool = new PixelPool({
    config: settings.config,
    childModule: settings.pixels?.childModule ?? PIXEL_CHILD_SOURCE,
    env: Object.fromEntries(PIXEL_CHILD_ENV.map((name) => [name, process.env[name]])),
    ...(settings.pixels?.processes !== undefined ? { size: settings.pixels.processes } : {}),
    onEvent: (event) => {
      if (event.kind === 'crashed') log.warn('a pixel process died', { ...event });
      else if (event.kind === 'killed' && event.reason !== 'closed')
        log.info('a pixel process was stopped', { ...event });
    },
  });
  const deps = {
    store: new ObjectStore(clients.s3),
    table: new ImageTable(clients.dynamo, settings.table),
    renditionsBucket: settings.renditionsBucket,
    uploads: { bucket: settings.uploadsBucket, prefix: settings.uploadsPrefix },
    config: settings.config,
    render: (
      input: Buffer,
      declared: DeclaredType,
      signal?: AbortSignal,
      presets?: readonly string[],
    ) => pool.render(input, declared, signal, presets),
    configHash: configHash(settings.config),
    maxReceiveCount: settings.maxReceiveCount,
    log,
    metrics: settings.onOutcome
      ? {
          recordOutcome(outcome: ImageOutcome) {
            telemetry.pipelineMetrics.recordOutcome(outcome);
            settings.onOutcome?.(outcome);
          },
        }
      : telemetry.pipelineMetrics,
    ...(settings.onSettled ? { onSettled: settings.onSettled } : {}),
    ...(settings.lease ? { lease: settings.lease } : {}),
  };
  const options: BatchOptions = { ...defaultBatchOptions, ...settings.batch };

  // The batch's talk-back to SQS: when a failed record comes back (sqs:ChangeMessageVisibility
  // on the work queue), poison straight to the DLQ (sqs:SendMessage on the DLQ), and a copy of a
  // record the deadline cut off (sqs:SendMessage on the work queue).
  const queues = new QueueDirectory(clients.sqs);
  const hooks: BatchHooks = {
    retryLater: async (record, seconds) => {
      if (!record.receiptHandle || !record.eventSourceARN) return;
      await queues.queue(record.eventSourceARN).changeVisibility(record.receiptHandle, seconds);
    },
    requeue: async (record, copy) => {
      if (!record.eventSourceARN) throw new Error('the record names no queue');
      await queues.queue(record.eventSourceARN).send(record.body, {
        delaySeconds: copy.delaySeconds,
        attributes: { [DEFERRAL_ATTRIBUTE]: String(copy.deferrals) },
      });
    },
    deadLetterNow: async (record, error) => {
      const dlq = record.eventSourceARN
        ? await queues.deadLetterQueue(record.eventSourceARN)
        : undefined;
      if (!dlq) throw error;
      await dlq.send(record.body, {
        attributes: {
          [DLQ_ATTRIBUTES.code]: errorCode(error),
          [DLQ_ATTRIBUTES.message]: errorMessage(error).slice(0, 1000),
          [DLQ_ATTRIBUTES.sourceMessageId]: record.messageId,
        },
      });
    },
  };
  const extendVisibility = async (record: QueueRecord) => {
    if (!record.receiptHandle || !record.eventSourceARN) return;
    const seconds =
      settings.visibilityExtensionSeconds ??
      (await queues.settings(record.eventSourceARN)).visibilityTimeoutSeconds;
    await queues.queue(record.eventSourceARN).changeVisibility(record.receiptHandle, seconds);
  };

  const base = async (event: SQSEvent, context: Context) =>
    processBatch({ ...deps, extendVisibility }, event.Records, context, options, hooks);

  const handler = middy(base)
    .use(injectLambdaContext(telemetry.logger, { resetKeys: true }))
    .use(logMetrics(telemetry.metrics))
    .use(
      sqsPartialBatchFailure({
        logger: (reason: unknown, record: { messageId?: string }) =>
          log.warn('record reported as failed', {
            messageId: record.messageId,
            code: errorCode(reason),
            error: errorMessage(reason),
          }),
      }),
    );
  return Object.assign(handler, {
    close: () => pool.close(),
    pixels: pool.stats,
  }) as unknown as SqsBatchHandler;
}
