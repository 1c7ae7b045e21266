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
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DLQ_ATTRIBUTES } from '../events/dead-letter.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { QueueDirectory } from '../lib/aws/queue-directory.ts';
import type { AwsTarget } from '../lib/aws/target.ts';
import { configHash } from '../lib/config/parse.ts';
import type { PixelmillConfig } from '../lib/config/schema.ts';
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
import type { PipelineTestHooks, QueueRecord } from '../lib/pipeline/process-record.ts';
import type { LineSink } from './telemetry/line-sink.ts';
import { createWorkerTelemetry } from './telemetry/worker-telemetry.ts';

export interface WorkerSettings {
  readonly target: AwsTarget;
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
  /** Fault injection for the chaos tests only. */
  readonly testHooks?: PipelineTestHooks;
  /** Claim lease length and renewal period (default 15 s / 5 s). */
  readonly lease?: LeasePolicy;
}

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export function createProcessHandler(settings: WorkerSettings): SqsBatchHandler {
  const clients = createAwsClients(settings.target);
  const telemetry = createWorkerTelemetry({
    output: settings.output,
    logKeys: settings.logKeys,
    serviceName: settings.serviceName,
  });
  const log = settings.log ?? telemetry.log;
  const deps = {
    store: new ObjectStore(clients.s3),
    table: new ImageTable(clients.dynamo, settings.table),
    renditionsBucket: settings.renditionsBucket,
    config: settings.config,
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
    ...(settings.testHooks ? { testHooks: settings.testHooks } : {}),
    ...(settings.lease ? { lease: settings.lease } : {}),
  };
  const options: BatchOptions = { ...defaultBatchOptions, ...settings.batch };

  // The batch's talk-back to SQS: when a failed record comes back (sqs:ChangeMessageVisibility
  // on the work queue), and poison straight to the DLQ (sqs:SendMessage on the DLQ).
  const queues = new QueueDirectory(clients.sqs);
  const hooks: BatchHooks = {
    retryLater: async (record, seconds) => {
      if (!record.receiptHandle || !record.eventSourceARN) return;
      await queues.queue(record.eventSourceARN).changeVisibility(record.receiptHandle, seconds);
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
    const { visibilityTimeoutSeconds } = await queues.settings(record.eventSourceARN);
    await queues
      .queue(record.eventSourceARN)
      .changeVisibility(record.receiptHandle, visibilityTimeoutSeconds);
  };

  const base = async (event: SQSEvent, context: Context) =>
    processBatch({ ...deps, extendVisibility }, event.Records, context, options, hooks);

  return middy(base)
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
    ) as unknown as SqsBatchHandler;
}
