/**
 * The scheduled audit: lib/ops' completeness audit run on a schedule (an EventBridge rule invokes
 * it), publishing the number of gaps as the AuditGaps metric, which the construct alarms on, and,
 * when told to, re-enqueuing exactly those gaps.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { METRICS } from '../events/metrics.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { Queue } from '../lib/aws/queue.ts';
import type { AwsTarget } from '../lib/aws/target.ts';
import { repairAudit, runAudit } from '../lib/ops/audit.ts';
import type { PipelineResources } from '../lib/ops/resources.ts';
import type { LineSink } from './telemetry/line-sink.ts';
import { createWorkerTelemetry } from './telemetry/worker-telemetry.ts';

export interface AuditSettings {
  readonly target: AwsTarget;
  readonly resources: PipelineResources;
  readonly configHash: string;
  readonly repair: boolean;
  readonly checkRenditions: boolean;
  readonly graceSeconds?: number;
  readonly output?: LineSink;
  readonly serviceName?: string;
}

export interface AuditResult {
  readonly objects: number;
  readonly gaps: number;
  readonly gapsByKind: Readonly<Record<string, number>>;
  readonly requeued: number;
}

export type AuditHandler = (event: unknown, context: Context) => Promise<AuditResult>;

export function createAuditHandler(settings: AuditSettings): AuditHandler {
  const clients = createAwsClients(settings.target);
  const telemetry = createWorkerTelemetry({
    output: settings.output,
    serviceName: settings.serviceName,
  });
  const { resources } = settings;
  const workQueue = new Queue(clients.sqs, resources.workQueueUrl, '');
  const base = async (): Promise<AuditResult> => {
    const { visibilityTimeoutSeconds } = await workQueue.settings();
    const ctx = {
      store: new ObjectStore(clients.s3),
      table: new ImageTable(clients.dynamo, resources.table),
      workQueue,
      deadLetterQueue: new Queue(clients.sqs, resources.deadLetterQueueUrl, ''),
      resources,
      configHash: settings.configHash,
      visibilityTimeoutSeconds,
    };
    const report = await runAudit(ctx, {
      checkRenditions: settings.checkRenditions,
      ...(settings.graceSeconds !== undefined ? { graceSeconds: settings.graceSeconds } : {}),
    });
    telemetry.metrics.addMetric(METRICS.auditGaps, MetricUnit.Count, report.gaps.length);
    const repaired =
      settings.repair && report.gaps.length > 0 ? await repairAudit(ctx, report.gaps) : undefined;
    const result: AuditResult = {
      objects: report.objects,
      gaps: report.gaps.length,
      gapsByKind: report.gapsByKind,
      requeued: repaired?.requeued ?? 0,
    };
    const log =
      report.gaps.length > 0
        ? telemetry.logger.warn.bind(telemetry.logger)
        : telemetry.logger.info.bind(telemetry.logger);
    log('audit finished', {
      ...result,
      done: report.done,
      rejected: report.rejected,
      inFlight: report.inFlight,
      inDeadLetterQueue: report.inDeadLetterQueue,
      seconds: report.seconds,
      examples: report.gaps
        .slice(0, 10)
        .map((g) => ({ kind: g.kind, key: g.object.key, detail: g.detail })),
    });
    return result;
  };
  return middy(base)
    .use(injectLambdaContext(telemetry.logger, { resetKeys: true }))
    .use(logMetrics(telemetry.metrics)) as unknown as AuditHandler;
}
