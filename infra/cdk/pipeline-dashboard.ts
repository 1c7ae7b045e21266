/**
 * One CloudWatch dashboard per pipeline: is work piling up (queue depth and age, DLQs), what is
 * coming out (images processed, rejected and failed per minute, rejections by reason, time per
 * image), and how the worker is doing (concurrency, errors, throttles, duration against the
 * timeout). The alarms' states sit on top.
 */
import { aws_cloudwatch as cloudwatch, Duration, Stack, type aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  METRICS,
  type MetricName,
} from '../../events/metrics.ts';
import {
  lambdaMetric,
  queueMetric,
  ruleMetric,
  serviceMetric,
  type WatchedResources,
} from './pipeline-metrics.ts';

export interface PipelineDashboardProps extends WatchedResources {
  readonly timeoutSeconds: number;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const ONE_MINUTE = Duration.minutes(1);
const WIDTH = 8;
const HEIGHT = 6;

export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const pixelmill = (name: MetricName, statistic: string, label: string) =>
      serviceMetric(props.serviceName, name, { statistic, period: ONE_MINUTE, label });
    const queue = (q: sqs.IQueue, name: string, label: string) =>
      queueMetric(q, name, { period: ONE_MINUTE, label });
    const worker = (name: string, statistic: string, label: string) =>
      lambdaMetric(props.worker, name, { statistic, period: ONE_MINUTE, label });
    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: WIDTH, height: HEIGHT, ...extra });

    // Rejections by reason: one line per reason code published, found by a SEARCH expression.
    const rejectionsByReason = new cloudwatch.MathExpression({
      expression:
        `SEARCH('{${METRIC_NAMESPACE},${METRIC_DIMENSIONS.reason},${METRIC_DIMENSIONS.service}} ` +
        `MetricName="${METRICS.imagesRejected}" ${METRIC_DIMENSIONS.service}="${props.serviceName}"', 'Sum', 60)`,
      label: '',
      period: ONE_MINUTE,
      usingMetrics: {},
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboard names are unique per account, across regions, and allow [A-Za-z0-9_-] only.
      dashboardName: `${props.serviceName.replace(/[^A-Za-z0-9_-]+/g, '-')}-${Stack.of(this).region}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...props.alarms],
            width: 24,
            height: 3,
          }),
        ],
        [
          graph('Work queue depth', [
            queue(props.workQueue, 'ApproximateNumberOfMessagesVisible', 'waiting'),
            queue(props.workQueue, 'ApproximateNumberOfMessagesNotVisible', 'in flight'),
          ]),
          graph('Age of the oldest queued image (s)', [
            queue(props.workQueue, 'ApproximateAgeOfOldestMessage', 'oldest'),
          ]),
          graph('Dead-letter queues', [
            queue(props.workDeadLetterQueue, 'ApproximateNumberOfMessagesVisible', 'work DLQ'),
            queue(props.ruleDeadLetterQueue, 'ApproximateNumberOfMessagesVisible', 'rule DLQ'),
          ]),
        ],
        [
          graph('Images per minute', [
            pixelmill(METRICS.imagesProcessed, cloudwatch.Stats.SUM, 'processed'),
            pixelmill(METRICS.imagesRejected, cloudwatch.Stats.SUM, 'rejected'),
            pixelmill(METRICS.imagesFailed, cloudwatch.Stats.SUM, 'failed (will retry)'),
          ]),
          graph('Rejections per minute by reason', [rejectionsByReason]),
          graph('Processing time per image (ms)', [
            pixelmill(METRICS.processingTime, cloudwatch.Stats.p(50), 'p50'),
            pixelmill(METRICS.processingTime, cloudwatch.Stats.p(99), 'p99'),
          ]),
        ],
        [
          graph('Worker concurrency', [
            worker('ConcurrentExecutions', cloudwatch.Stats.MAXIMUM, 'concurrent invocations'),
          ]),
          graph('Worker errors and throttles', [
            worker('Errors', cloudwatch.Stats.SUM, 'errors'),
            worker('Throttles', cloudwatch.Stats.SUM, 'throttles'),
            ruleMetric(props.rule, 'FailedInvocations', {
              statistic: cloudwatch.Stats.SUM,
              period: ONE_MINUTE,
              label: 'EventBridge failed deliveries',
            }),
          ]),
          graph(
            'Worker duration (ms)',
            [
              worker('Duration', cloudwatch.Stats.p(99), 'p99'),
              worker('Duration', cloudwatch.Stats.MAXIMUM, 'max'),
            ],
            {
              leftAnnotations: [
                { value: props.timeoutSeconds * 1000, label: 'timeout', color: '#d62728' },
              ],
            },
          ),
        ],
      ],
    });
  }
}
