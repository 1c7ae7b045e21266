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
import { METRICS } from '../../events/metrics.ts';
import {
  lambdaMetric,
  queueMetric,
  ruleMetric,
  serviceMetric,
  type WatchedResources,
} from './pipeline-metrics.ts';
import type { ResolvedAlarmSettings } from './settings/alarms.ts';

export {
  ALARM_KEYS,
  type AlarmKey,
  AUDIT_HEALTH_KEYS,
  type AuditHealthKey,
  RUNBOOK,
  RUNBOOK_ANCHORS,
} from '../../events/alarm-conditions.ts';

export interface PipelineAlarmsProps extends WatchedResources {
  readonly topic: sns.ITopic;
  readonly settings: ResolvedAlarmSettings;
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
      options: Partial<Omit<cloudwatch.CreateAlarmOptions, 'alarmName' | 'alarmDescription'>> & {
        metric: cloudwatch.IMetric;
        threshold: number;
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
        // Most alarms fire on any datapoint above the threshold; no data is no trouble.
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...rest,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };

    const queue = (q: sqs.IQueue, name: string) => queueMetric(q, name, { period: ONE_MINUTE });
    const worker = (name: string, statistic: string) =>
      lambdaMetric(props.worker, name, { statistic, period: FIVE_MINUTES });
    const auditGaps = (statistic: string, period: Duration) =>
      serviceMetric(props.serviceName, METRICS.auditGaps, { statistic, period });

    this.alarms = {
      workQueueDepth: alarm(
        'workQueueDepth',
        `More than ${s.queueDepthThreshold} images have waited in the work queue for ` +
          `${ALARM_MINUTES.workQueueDepth} minutes: at ` +
          `the expected ${s.expectedImagesPerSecond.toFixed(1)} images/s the backlog takes longer ` +
          `than the ${s.backlogObjectiveSeconds} s objective to drain.`,
        {
          metric: queue(props.workQueue, 'ApproximateNumberOfMessagesVisible'),
          threshold: s.queueDepthThreshold,
          evaluationPeriods: ALARM_MINUTES.workQueueDepth,
          datapointsToAlarm: ALARM_MINUTES.workQueueDepth,
        },
      ),
      workQueueAge: alarm(
        'workQueueAge',
        `The oldest message in the work queue is older than the ${s.backlogObjectiveSeconds} s ` +
          'backlog objective: images are not being processed, or not fast enough.',
        {
          metric: queue(props.workQueue, 'ApproximateAgeOfOldestMessage'),
          threshold: s.backlogObjectiveSeconds,
          evaluationPeriods: ALARM_MINUTES.workQueueAge,
          datapointsToAlarm: ALARM_MINUTES.workQueueAge,
        },
      ),
      workDeadLetterQueue: alarm(
        'workDeadLetterQueue',
        'Images failed every attempt and their messages are in the work dead-letter queue.',
        {
          metric: queue(props.workDeadLetterQueue, 'ApproximateNumberOfMessagesVisible'),
          threshold: 0,
        },
      ),
      ruleDeadLetterQueue: alarm(
        'ruleDeadLetterQueue',
        'EventBridge could not deliver upload events to the work queue; they are in the rule ' +
          'dead-letter queue and those uploads are not being processed.',
        {
          metric: queue(props.ruleDeadLetterQueue, 'ApproximateNumberOfMessagesVisible'),
          threshold: 0,
        },
      ),
      ruleFailedInvocations: alarm(
        'ruleFailedInvocations',
        'EventBridge failed to deliver upload events to the work queue (it retries for up to ' +
          '24 hours, then puts them in the rule dead-letter queue).',
        {
          metric: ruleMetric(props.rule, 'FailedInvocations', {
            statistic: cloudwatch.Stats.SUM,
            period: FIVE_MINUTES,
          }),
          threshold: 0,
        },
      ),
      workerErrors: alarm(
        'workerErrors',
        'Worker invocations failed as a whole (a crash, an out-of-memory, a timeout, a bad cold ' +
          'start): their whole batch is retried.',
        {
          metric: worker('Errors', cloudwatch.Stats.SUM),
          threshold: s.workerErrorsThreshold,
        },
      ),
      workerThrottles: alarm(
        'workerThrottles',
        'Lambda throttled worker invocations: the account or the function ran out of concurrency.',
        {
          metric: worker('Throttles', cloudwatch.Stats.SUM),
          threshold: s.workerThrottlesThreshold,
        },
      ),
      workerDuration: alarm(
        'workerDuration',
        `A worker invocation ran longer than ${Math.round(s.durationAlarmRatio * 100)} % of the ` +
          'function timeout: batches are close to being cut off.',
        {
          metric: worker('Duration', cloudwatch.Stats.MAXIMUM),
          threshold: s.durationThresholdMs,
        },
      ),
      auditGaps: alarm(
        'auditGaps',
        'The scheduled audit found uploads with no terminal row (an upload event was lost).',
        {
          metric: auditGaps(cloudwatch.Stats.MAXIMUM, Duration.hours(1)),
          threshold: 0,
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
          metric: lambdaMetric(props.audit, 'Errors', {
            statistic: cloudwatch.Stats.SUM,
            period: interval,
          }),
          threshold: 0,
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
          metric: auditGaps(cloudwatch.Stats.SAMPLE_COUNT, interval),
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
