/**
 * The pipeline's alarm conditions: the contract between the CDK construct that creates the
 * CloudWatch alarms (infra/cdk/pipeline-alarms.ts) and `pixelmill status`, which shows the same
 * conditions everywhere (read from CloudWatch on AWS, evaluated from the queues locally). Names,
 * keys and runbook anchors are defined once, here, because both sides import events/.
 */
import { RETRY_BACKOFF, retrySpanSeconds } from './retry-schedule.ts';

export const ALARM_KEYS = [
  'workQueueDepth',
  'workQueueAge',
  'workDeadLetterQueue',
  'ruleDeadLetterQueue',
  'ruleFailedInvocations',
  'workerErrors',
  'workerThrottles',
  'workerDuration',
  'auditGaps',
] as const;
export type AlarmKey = (typeof ALARM_KEYS)[number];

/** Each alarm's title: the end of its CloudWatch name (see alarmName). */
export const ALARM_TITLES: Record<AlarmKey, string> = {
  workQueueDepth: 'work queue backlog',
  workQueueAge: 'oldest image older than the backlog objective',
  workDeadLetterQueue: 'work DLQ not empty',
  ruleDeadLetterQueue: 'rule DLQ not empty',
  ruleFailedInvocations: 'EventBridge failed invocations',
  workerErrors: 'worker errors',
  workerThrottles: 'worker throttled',
  workerDuration: 'worker duration near the timeout',
  auditGaps: 'audit found uploads without an outcome',
};

/** Where each alarm's "what to do" lives. */
export const RUNBOOK = 'docs/aws.md';

/** The runbook section (anchor in RUNBOOK) for each alarm. */
export const RUNBOOK_ANCHORS: Record<AlarmKey, string> = {
  workQueueDepth: 'work-queue-backlog',
  workQueueAge: 'work-queue-backlog',
  workDeadLetterQueue: 'work-dlq-not-empty',
  ruleDeadLetterQueue: 'rule-dlq-not-empty-or-eventbridge-failed-invocations',
  ruleFailedInvocations: 'rule-dlq-not-empty-or-eventbridge-failed-invocations',
  workerErrors: 'worker-errors-or-throttles',
  workerThrottles: 'worker-errors-or-throttles',
  workerDuration: 'worker-duration-near-the-timeout',
  auditGaps: 'audit-gaps',
};

/**
 * Alarms on the scheduled audit itself (it failed, or stopped reporting). Apart from ALARM_KEYS,
 * which `pixelmill status` also evaluates on the local cloud: these watch a Lambda function that
 * exists only on AWS. Named and documented like the others.
 */
export const AUDIT_HEALTH_KEYS = ['auditErrors', 'auditSilent'] as const;
export type AuditHealthKey = (typeof AUDIT_HEALTH_KEYS)[number];

export const AUDIT_HEALTH_TITLES: Record<AuditHealthKey, string> = {
  auditErrors: 'audit failed',
  auditSilent: 'audit stopped reporting',
};

export const AUDIT_HEALTH_ANCHORS: Record<AuditHealthKey, string> = {
  auditErrors: 'audit-failed-or-stopped-reporting',
  auditSilent: 'audit-failed-or-stopped-reporting',
};

/** Every alarm of one pipeline is named `<prefix><title>`; the prefix is a stack output. */
export function alarmNamePrefix(serviceName: string): string {
  return `pixelmill ${serviceName}: `;
}

/** Consecutive one-minute datapoints above the threshold before the queue alarms fire. */
export const ALARM_MINUTES = { workQueueDepth: 5, workQueueAge: 3 } as const;

/**
 * vCPU-seconds one image takes with the default presets (measured: docs/aws.md#cost-per-million-images);
 * the expected throughput, and with it the backlog threshold, is derived from it.
 */
export const DEFAULT_VCPU_SECONDS_PER_IMAGE = 0.62;

export interface BacklogThresholds {
  /** How old the oldest queued image may get: by default the span of all its retries. */
  readonly backlogObjectiveSeconds: number;
  /** Visible messages that the expected throughput cannot drain within the objective. */
  readonly queueDepthThreshold: number;
}

/**
 * The backlog alarms' thresholds. The age objective defaults to the retry span: the longest a
 * message can take through every receive and every wait of the retry schedule
 * (events/retry-schedule.ts), each receive taking a whole invocation. A message being retried
 * keeps its age, and one failing image must not look like a stalled pipeline.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/capturing-problematic-messages.html
 */
export function backlogThresholds(input: {
  readonly maxReceiveCount: number;
  /**
   * The work queue's: 6 × the function timeout + the batching window (AWS's rule for SQS event
   * sources), so a sixth of it is at least one invocation.
   */
  readonly visibilityTimeoutSeconds: number;
  readonly expectedImagesPerSecond: number;
  readonly backlogObjectiveSeconds?: number | undefined;
  readonly queueDepthThreshold?: number | undefined;
}): BacklogThresholds {
  const backlogObjectiveSeconds =
    input.backlogObjectiveSeconds ??
    Math.ceil(
      retrySpanSeconds(RETRY_BACKOFF, input.maxReceiveCount, input.visibilityTimeoutSeconds / 6),
    );
  return {
    backlogObjectiveSeconds,
    queueDepthThreshold:
      input.queueDepthThreshold ??
      Math.ceil(input.expectedImagesPerSecond * backlogObjectiveSeconds),
  };
}
