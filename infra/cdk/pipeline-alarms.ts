/**
 * The pipeline's alarms, every one notifying the alarm topic when it fires and when it clears.
 * Each tells an on-call engineer one thing, and docs/aws.md#operator-runbook says what to do
 * (each alarm's description names its section of the operator runbook).
 *
 * Metric choices that matter:
 * - DLQ depth is `ApproximateNumberOfMessagesVisible`, not `NumberOfMessagesSent`: messages that
 *   SQS's redrive policy moves into a DLQ are not counted as sent, so an alarm on "sent" never
 *   fires for the failures it exists for.
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 * - Missing data is "not breaching" everywhere: SQS stops reporting an idle queue, Lambda and
 *   EventBridge report nothing when nothing happens, and the audit metric arrives later.
 * - The age threshold defaults to the retry span (see image-pipeline-props.ts): a message being
 *   retried keeps its age, and one failing image must not look like a stalled pipeline.
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/capturing-problematic-messages.html
 */
import {
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  Duration,
  type aws_events as events,
  type aws_lambda as lambda,
  type aws_sns as sns,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../../events/metrics.ts';
import type { ResolvedAlarmSettings } from './image-pipeline-props.ts';

/** Where each alarm's "what to do" lives (the section for each is in RUNBOOK_ANCHORS). */
export const RUNBOOK = 'docs/aws.md';

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

/** The runbook section (anchor in docs/aws.md) for each alarm. */
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

export interface PipelineAlarmsProps {
  readonly topic: sns.ITopic;
  readonly settings: ResolvedAlarmSettings;
  /** Prefixes every alarm name (unique per account and region). */
  readonly serviceName: string;
  readonly workQueue: sqs.IQueue;
  readonly workDeadLetterQueue: sqs.IQueue;
  readonly ruleDeadLetterQueue: sqs.IQueue;
  readonly rule: events.IRule;
  readonly worker: lambda.IFunction;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export class PipelineAlarms extends Construct {
  readonly alarms: Record<AlarmKey, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const s = props.settings;
    const action = new cwActions.SnsAction(props.topic);

    const alarm = (
      key: AlarmKey,
      title: string,
      summary: string,
      options: Omit<cloudwatch.CreateAlarmOptions, 'alarmName' | 'alarmDescription'> & {
        metric: cloudwatch.IMetric;
      },
    ): cloudwatch.Alarm => {
      const { metric, ...rest } = options;
      const created = new cloudwatch.Alarm(this, key, {
        metric,
        alarmName: `pixelmill ${props.serviceName}: ${title}`,
        alarmDescription: `${summary} What to do: ${RUNBOOK}#${RUNBOOK_ANCHORS[key]}`,
        ...rest,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };

    const queueMetric = (queue: sqs.IQueue, name: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: name,
        dimensionsMap: { QueueName: queue.queueName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period,
      });
    const lambdaMetric = (name: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName: name,
        dimensionsMap: { FunctionName: props.worker.functionName },
        statistic,
        period: FIVE_MINUTES,
      });

    this.alarms = {
      workQueueDepth: alarm(
        'workQueueDepth',
        'work queue backlog',
        `More than ${s.queueDepthThreshold} images have waited in the work queue for 5 minutes: at ` +
          `the expected ${s.expectedImagesPerSecond.toFixed(1)} images/s the backlog takes longer ` +
          `than the ${s.backlogObjectiveSeconds} s objective to drain.`,
        {
          metric: queueMetric(props.workQueue, 'ApproximateNumberOfMessagesVisible', ONE_MINUTE),
          threshold: s.queueDepthThreshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workQueueAge: alarm(
        'workQueueAge',
        'oldest image older than the backlog objective',
        `The oldest message in the work queue is older than the ${s.backlogObjectiveSeconds} s ` +
          'backlog objective: images are not being processed, or not fast enough.',
        {
          metric: queueMetric(props.workQueue, 'ApproximateAgeOfOldestMessage', ONE_MINUTE),
          threshold: s.backlogObjectiveSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workDeadLetterQueue: alarm(
        'workDeadLetterQueue',
        'work DLQ not empty',
        'Images failed every attempt and their messages are in the work dead-letter queue.',
        {
          metric: queueMetric(
            props.workDeadLetterQueue,
            'ApproximateNumberOfMessagesVisible',
            ONE_MINUTE,
          ),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      ruleDeadLetterQueue: alarm(
        'ruleDeadLetterQueue',
        'rule DLQ not empty',
        'EventBridge could not deliver upload events to the work queue; they are in the rule ' +
          'dead-letter queue and those uploads are not being processed.',
        {
          metric: queueMetric(
            props.ruleDeadLetterQueue,
            'ApproximateNumberOfMessagesVisible',
            ONE_MINUTE,
          ),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      ruleFailedInvocations: alarm(
        'ruleFailedInvocations',
        'EventBridge failed invocations',
        'EventBridge failed to deliver upload events to the work queue (it retries for up to ' +
          '24 hours, then puts them in the rule dead-letter queue).',
        {
          metric: new cloudwatch.Metric({
            namespace: 'AWS/Events',
            metricName: 'FailedInvocations',
            dimensionsMap: { RuleName: props.rule.ruleName },
            statistic: cloudwatch.Stats.SUM,
            period: FIVE_MINUTES,
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workerErrors: alarm(
        'workerErrors',
        'worker errors',
        'Worker invocations failed as a whole (a crash, an out-of-memory, a timeout, a bad cold ' +
          'start): their whole batch is retried.',
        {
          metric: lambdaMetric('Errors', cloudwatch.Stats.SUM),
          threshold: s.workerErrorsThreshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workerThrottles: alarm(
        'workerThrottles',
        'worker throttled',
        'Lambda throttled worker invocations: the account or the function ran out of concurrency.',
        {
          metric: lambdaMetric('Throttles', cloudwatch.Stats.SUM),
          threshold: s.workerThrottlesThreshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workerDuration: alarm(
        'workerDuration',
        'worker duration near the timeout',
        `A worker invocation ran longer than ${Math.round(s.durationAlarmRatio * 100)} % of the ` +
          'function timeout: batches are close to being cut off.',
        {
          metric: lambdaMetric('Duration', cloudwatch.Stats.MAXIMUM),
          threshold: s.durationThresholdMs,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      auditGaps: alarm(
        'auditGaps',
        'audit found uploads without an outcome',
        'The scheduled audit found uploads with no terminal row (an upload event was lost).',
        {
          metric: new cloudwatch.Metric({
            namespace: METRIC_NAMESPACE,
            metricName: METRICS.auditGaps,
            dimensionsMap: { [METRIC_DIMENSIONS.service]: props.serviceName },
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.hours(1),
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
    };
  }
}
