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
 * - Missing data is "not breaching" everywhere but one: SQS stops reporting an idle queue, Lambda
 *   and EventBridge report nothing when nothing happens, and the audit metric arrives later. The
 *   exception is the audit's heartbeat (auditSilent), whose absence is the alarm.
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
import {
  ALARM_MINUTES,
  ALARM_TITLES,
  type AlarmKey,
  AUDIT_HEALTH_ANCHORS,
  AUDIT_HEALTH_TITLES,
  type AuditHealthKey,
  alarmNamePrefix,
  RUNBOOK,
  RUNBOOK_ANCHORS,
} from '../../events/alarm-conditions.ts';
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../../events/metrics.ts';
import type { ResolvedAlarmSettings } from './settings/alarms.ts';

export {
  ALARM_KEYS,
  type AlarmKey,
  AUDIT_HEALTH_KEYS,
  type AuditHealthKey,
  RUNBOOK,
  RUNBOOK_ANCHORS,
} from '../../events/alarm-conditions.ts';

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
  /** The scheduled audit function, and the minutes between two of its runs. */
  readonly audit: lambda.IFunction;
  readonly auditIntervalMinutes: number;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export class PipelineAlarms extends Construct {
  readonly alarms: Record<AlarmKey, cloudwatch.Alarm>;
  /** On the audit itself: a missing AuditGaps datapoint is "not breaching" for auditGaps above. */
  readonly auditHealth: Record<AuditHealthKey, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const s = props.settings;
    const action = new cwActions.SnsAction(props.topic);

    const alarm = (
      key: AlarmKey | AuditHealthKey,
      summary: string,
      options: Omit<cloudwatch.CreateAlarmOptions, 'alarmName' | 'alarmDescription'> & {
        metric: cloudwatch.IMetric;
      },
    ): cloudwatch.Alarm => {
      const { metric, ...rest } = options;
      const [title, anchor] =
        key in AUDIT_HEALTH_TITLES
          ? [
              AUDIT_HEALTH_TITLES[key as AuditHealthKey],
              AUDIT_HEALTH_ANCHORS[key as AuditHealthKey],
            ]
          : [ALARM_TITLES[key as AlarmKey], RUNBOOK_ANCHORS[key as AlarmKey]];
      const created = new cloudwatch.Alarm(this, key, {
        metric,
        alarmName: `${alarmNamePrefix(props.serviceName)}${title}`,
        alarmDescription: `${summary} What to do: ${RUNBOOK}#${anchor}`,
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
        `More than ${s.queueDepthThreshold} images have waited in the work queue for ` +
          `${ALARM_MINUTES.workQueueDepth} minutes: at ` +
          `the expected ${s.expectedImagesPerSecond.toFixed(1)} images/s the backlog takes longer ` +
          `than the ${s.backlogObjectiveSeconds} s objective to drain.`,
        {
          metric: queueMetric(props.workQueue, 'ApproximateNumberOfMessagesVisible', ONE_MINUTE),
          threshold: s.queueDepthThreshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: ALARM_MINUTES.workQueueDepth,
          datapointsToAlarm: ALARM_MINUTES.workQueueDepth,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workQueueAge: alarm(
        'workQueueAge',
        `The oldest message in the work queue is older than the ${s.backlogObjectiveSeconds} s ` +
          'backlog objective: images are not being processed, or not fast enough.',
        {
          metric: queueMetric(props.workQueue, 'ApproximateAgeOfOldestMessage', ONE_MINUTE),
          threshold: s.backlogObjectiveSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: ALARM_MINUTES.workQueueAge,
          datapointsToAlarm: ALARM_MINUTES.workQueueAge,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      workDeadLetterQueue: alarm(
        'workDeadLetterQueue',
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

    // One schedule interval per period: every run that ends well lands one datapoint in it.
    const interval = Duration.minutes(props.auditIntervalMinutes);
    this.auditHealth = {
      auditErrors: alarm(
        'auditErrors',
        'The scheduled audit failed (an error, a timeout, out of memory): lost uploads are not ' +
          'being found or repaired.',
        {
          metric: new cloudwatch.Metric({
            namespace: 'AWS/Lambda',
            metricName: 'Errors',
            dimensionsMap: { FunctionName: props.audit.functionName },
            statistic: cloudwatch.Stats.SUM,
            period: interval,
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
      // The heartbeat: every audit invocation that ends well publishes AuditGaps (0 included).
      // None over two whole intervals means it is not running, or failing before it reports;
      // here missing data is the very thing alarmed on, so it is breaching.
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
      auditSilent: alarm(
        'auditSilent',
        `The scheduled audit has published no result for ${2 * props.auditIntervalMinutes} ` +
          'minutes (two runs): it is not running, or fails before it reports.',
        {
          metric: new cloudwatch.Metric({
            namespace: METRIC_NAMESPACE,
            metricName: METRICS.auditGaps,
            dimensionsMap: { [METRIC_DIMENSIONS.service]: props.serviceName },
            statistic: cloudwatch.Stats.SAMPLE_COUNT,
            period: interval,
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      ),
    };
  }
}
