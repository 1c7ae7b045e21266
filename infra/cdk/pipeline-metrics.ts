/**
 * The CloudWatch metrics the alarms and the dashboard read, of the resources both watch, built
 * one way: SQS queue metrics
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
 * Lambda function metrics (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html),
 * EventBridge rule metrics (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)
 * and pixelmill's own, published by the workers as EMF under METRIC_NAMESPACE per service.
 */
import {
  aws_cloudwatch as cloudwatch,
  type Duration,
  type aws_events as events,
  type aws_lambda as lambda,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, type MetricName } from '../../events/metrics.ts';

/** What the alarms and the dashboard watch. */
export interface WatchedResources {
  /** pixelmill's own metrics' service dimension; prefixes every alarm name. */
  readonly serviceName: string;
  readonly workQueue: sqs.IQueue;
  readonly workDeadLetterQueue: sqs.IQueue;
  readonly ruleDeadLetterQueue: sqs.IQueue;
  readonly rule: events.IRule;
  readonly worker: lambda.IFunction;
}

export interface MetricShape {
  readonly statistic: string;
  readonly period: Duration;
  /** The line's name on a graph (default: the metric's). */
  readonly label?: string;
}

const metric = (
  namespace: string,
  metricName: string,
  dimensionsMap: Record<string, string>,
  shape: MetricShape,
) => new cloudwatch.Metric({ namespace, metricName, dimensionsMap, ...shape });

/** A queue metric, at its maximum over the period (the depth and age gauges SQS publishes). */
export const queueMetric = (
  queue: sqs.IQueue,
  name: string,
  shape: Omit<MetricShape, 'statistic'>,
) =>
  metric(
    'AWS/SQS',
    name,
    { QueueName: queue.queueName },
    { ...shape, statistic: cloudwatch.Stats.MAXIMUM },
  );

export const lambdaMetric = (fn: lambda.IFunction, name: string, shape: MetricShape) =>
  metric('AWS/Lambda', name, { FunctionName: fn.functionName }, shape);

export const ruleMetric = (rule: events.IRule, name: string, shape: MetricShape) =>
  metric('AWS/Events', name, { RuleName: rule.ruleName }, shape);

/** One of pixelmill's own metrics, of one service (one pipeline). */
export const serviceMetric = (serviceName: string, name: MetricName, shape: MetricShape) =>
  metric(METRIC_NAMESPACE, name, { [METRIC_DIMENSIONS.service]: serviceName }, shape);
