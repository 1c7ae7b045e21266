/**
 * The worker's observability, built once per cold start: a Powertools Logger (JSON lines with the
 * Lambda context on each, debug logs sampled) and Powertools Metrics (EMF), plus the adapters the
 * pipeline talks to (lib/pipeline's PipelineLogger and PipelineMetrics), so lib/ stays free of
 * Powertools.
 *
 * - Logger: https://docs.aws.amazon.com/powertools/typescript/latest/features/logger/
 * - Metrics: https://docs.aws.amazon.com/powertools/typescript/latest/features/metrics/
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../../events/metrics.ts';
import { POWERTOOLS_ENV } from '../../events/worker-environment.ts';
import type { PipelineLogger } from '../../lib/pipeline/log.ts';
import type { ImageOutcome, PipelineMetrics } from '../../lib/pipeline/metrics.ts';
import type { LineSink } from './line-sink.ts';
import { SinkLogger } from './sink-logger.ts';
import { SinkMetrics } from './sink-metrics.ts';

/** The service name when neither the settings nor POWERTOOLS_SERVICE_NAME give one. */
export const DEFAULT_SERVICE_NAME = 'pixelmill-worker';

export interface WorkerTelemetryOptions {
  /** Where log lines and EMF blobs go. @default Powertools' stdout/stderr (Lambda's contract) */
  readonly output?: LineSink | undefined;
  /**
   * The `service` key of each line and `service` dimension of each metric.
   * @default POWERTOOLS_SERVICE_NAME (the CDK construct sets it), else DEFAULT_SERVICE_NAME
   */
  readonly serviceName?: string | undefined;
  /** Keys added to every log line (the CLI adds its component and process id). */
  readonly logKeys?: Readonly<Record<string, string | number>> | undefined;
}

export interface WorkerTelemetry {
  readonly logger: SinkLogger;
  readonly metrics: SinkMetrics;
  /** The pipeline's logger, writing through `logger`. */
  readonly log: PipelineLogger;
  /** The pipeline's outcome hook, recording through `metrics`. */
  readonly pipelineMetrics: PipelineMetrics;
}

function pipelineLogger(logger: SinkLogger): PipelineLogger {
  return {
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

function pipelineMetrics(metrics: SinkMetrics): PipelineMetrics {
  return {
    recordOutcome(outcome: ImageOutcome) {
      switch (outcome.kind) {
        case 'done':
          metrics.addMetric(METRICS.imagesProcessed, MetricUnit.Count, 1);
          metrics.addMetric(METRICS.processingTime, MetricUnit.Milliseconds, outcome.processingMs);
          metrics.addMetric(METRICS.renditionBytes, MetricUnit.Bytes, outcome.renditionBytes);
          return;
        case 'rejected':
          // The total (service only) goes with the invocation's other metrics; the breakdown by
          // reason is its own blob, since EMF dimensions apply to every metric in a blob.
          metrics.addMetric(METRICS.imagesRejected, MetricUnit.Count, 1);
          metrics
            .singleMetric()
            .addDimension(METRIC_DIMENSIONS.reason, outcome.reason)
            .addMetric(METRICS.imagesRejected, MetricUnit.Count, 1);
          return;
        case 'failed':
          metrics.addMetric(METRICS.imagesFailed, MetricUnit.Count, 1);
          return;
      }
    },
    recordCountsFlushFailure() {
      metrics.addMetric(METRICS.countsFlushFailed, MetricUnit.Count, 1);
    },
  };
}

export function createWorkerTelemetry(
  options: WorkerTelemetryOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerTelemetry {
  // An explicit name wins; otherwise let Powertools read POWERTOOLS_SERVICE_NAME, and name the
  // service ourselves only where that is unset (Powertools would say "service_undefined").
  const serviceName =
    options.serviceName ?? (env[POWERTOOLS_ENV.serviceName] ? undefined : DEFAULT_SERVICE_NAME);
  const logger = new SinkLogger(options.output, {
    ...(serviceName ? { serviceName } : {}),
    ...(options.logKeys ? { persistentKeys: { ...options.logKeys } } : {}),
  });
  const metrics = new SinkMetrics(options.output, {
    namespace: METRIC_NAMESPACE,
    ...(serviceName ? { serviceName } : {}),
    logger,
  });
  return {
    logger,
    metrics,
    log: pipelineLogger(logger),
    pipelineMetrics: pipelineMetrics(metrics),
  };
}
