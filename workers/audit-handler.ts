/**
 * The scheduled audit: lib/ops' completeness audit run on a schedule (an EventBridge rule invokes
 * it), publishing the number of gaps as the AuditGaps metric, which the construct alarms on, and,
 * when told to, re-enqueuing exactly those gaps. A pass over a big bucket spans invocations: each
 * resumes from the checkpoint in the table and stops starting pages AUDIT_TIME_MARGIN_MS before
 * its timeout (docs/aws.md#the-scheduled-audit-at-scale has the arithmetic). With `inventory`,
 * each pass reads the newest S3 Inventory report under that prefix instead of listing the bucket;
 * a newer report arriving mid-pass starts a new pass over it (the checkpoint's scope names the
 * manifest).
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
import { runAudit } from '../lib/ops/audit.ts';
import {
  type AuditCheckpoint,
  auditScope,
  tableCheckpointStore,
} from '../lib/ops/audit-checkpoint.ts';
import { NoInventoryReportError } from '../lib/ops/errors.ts';
import { readInventoryManifest } from '../lib/ops/inventory-manifest.ts';
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
  /** Key ranges audited at once (the function's memory holds this many pages). */
  readonly concurrency?: number;
  /** `s3://bucket/prefix/` holding the uploads bucket's inventory reports: audit the newest. */
  readonly inventory?: string | undefined;
  readonly output?: LineSink;
  readonly serviceName?: string;
}

export interface AuditResult {
  readonly objects: number;
  readonly gaps: number;
  readonly gapsByKind: Readonly<Record<string, number>>;
  readonly requeued: number;
  /** False: the invocation stopped near its timeout; the next one resumes the pass. */
  readonly complete: boolean;
  readonly sessions: number;
}

export type AuditHandler = (event: unknown, context: Context) => Promise<AuditResult>;

/**
 * Time kept back from the Lambda timeout (at most half of it): pages under way when the deadline
 * passes finish (a page takes seconds), then the checkpoint is saved and the metrics flushed.
 */
export const AUDIT_TIME_MARGIN_MS = 90_000;

/** The scheduled audit's own checkpoint: an operator's `pixelmill audit` never resets its pass. */
export const SCHEDULED_CHECKPOINT = 'scheduled';

export function createAuditHandler(settings: AuditSettings): AuditHandler {
  const clients = createAwsClients(settings.target);
  const telemetry = createWorkerTelemetry({
    output: settings.output,
    serviceName: settings.serviceName,
  });
  const { resources } = settings;
  const workQueue = new Queue(clients.sqs, resources.workQueueUrl, '');
  const base = async (_event: unknown, context: Context): Promise<AuditResult> => {
    const { visibilityTimeoutSeconds } = await workQueue.settings();
    const table = new ImageTable(clients.dynamo, resources.table);
    const ctx = {
      store: new ObjectStore(clients.s3),
      table,
      workQueue,
      deadLetterQueue: new Queue(clients.sqs, resources.deadLetterQueueUrl, ''),
      resources,
      configHash: settings.configHash,
      visibilityTimeoutSeconds,
    };
    const remaining = context.getRemainingTimeInMillis();
    const before = await tableCheckpointStore(table, SCHEDULED_CHECKPOINT).load();
    const inventory = settings.inventory
      ? await newestReport(ctx, settings.inventory, telemetry.logger)
      : undefined;
    // Each invocation continues the unfinished pass (one pass may need several on a big bucket)
    // and stops starting pages near its timeout; the next scheduled run picks it up.
    const report = await runAudit(ctx, {
      checkRenditions: settings.checkRenditions,
      ...(settings.graceSeconds !== undefined ? { graceSeconds: settings.graceSeconds } : {}),
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
      repair: settings.repair,
      checkpoint: tableCheckpointStore(table, SCHEDULED_CHECKPOINT),
      resume: true,
      ...(inventory ? { inventory } : {}),
      deadline: Date.now() + remaining - Math.min(AUDIT_TIME_MARGIN_MS, remaining / 2),
    });
    // Versions checked by earlier sessions of this same pass (a new report starts a new pass).
    const checkedBefore =
      before && !before.finished && before.scope === auditScope(ctx, inventory?.uri)
        ? sumObjects(before)
        : 0;
    telemetry.metrics.addMetric(METRICS.auditGaps, MetricUnit.Count, report.gapCount);
    telemetry.metrics.addMetric(
      METRICS.auditVersionsChecked,
      MetricUnit.Count,
      Math.max(0, report.objects - checkedBefore),
    );
    const result: AuditResult = {
      objects: report.objects,
      gaps: report.gapCount,
      gapsByKind: report.gapsByKind,
      requeued: report.repair?.requeued ?? 0,
      complete: report.complete,
      sessions: report.sessions,
    };
    const log =
      report.gapCount > 0
        ? telemetry.logger.warn.bind(telemetry.logger)
        : telemetry.logger.info.bind(telemetry.logger);
    log(report.complete ? 'audit finished' : 'audit paused: the next run resumes it', {
      ...result,
      done: report.done,
      rejected: report.rejected,
      inFlight: report.inFlight,
      inDeadLetterQueue: report.inDeadLetterQueue,
      seconds: report.seconds,
      pages: report.pages,
      inventory: report.inventory,
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

function sumObjects(checkpoint: AuditCheckpoint): number {
  return checkpoint.segments.reduce((n, s) => n + s.counts.objects, 0);
}

/**
 * The newest inventory report, or none yet (S3 delivers the first up to 48 hours after the
 * inventory is configured): then this run lists the bucket, with a warning, rather than fail and
 * page someone for a report that is not due. Any other problem with the report fails the run.
 */
async function newestReport(
  ctx: Parameters<typeof readInventoryManifest>[0],
  prefix: string,
  logger: { warn: (message: string, extra: Record<string, unknown>) => void },
) {
  try {
    return await readInventoryManifest(ctx, prefix);
  } catch (error) {
    if (!(error instanceof NoInventoryReportError)) throw error;
    logger.warn('no inventory report yet: this run lists the bucket', { inventory: prefix });
    return undefined;
  }
}
