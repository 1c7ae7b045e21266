/**
 * The EventBridge rule that routes the uploads bucket's "Object Created" events into the work
 * queue, with its own dead-letter queue for events EventBridge could not deliver (the queue
 * deleted, its policy wrong, throttling past the retry policy). Without a target DLQ those events
 * are dropped silently; with it they wait to be replayed, and `pixelmill audit` repairs any gap.
 *
 * - S3 events on EventBridge: https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 * - Target retry policy: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * - Target DLQ: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html#eb-rule-dlq
 */
import {
  Duration,
  aws_events as events,
  type aws_s3 as s3,
  type aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { rulePattern, type Topology } from '../topology.ts';
import { acknowledge } from './nag.ts';
import { createDeadLetterQueue } from './secure-queue.ts';
import { toCdkEventPattern } from './to-cdk-event-pattern.ts';

/**
 * EventBridge's maximums, stated rather than defaulted (24 hours, 185 attempts): a delivery to SQS
 * fails only while the queue is unreachable, and an event given up on lands in the rule DLQ, an
 * upload left unprocessed until someone replays it or `pixelmill audit` finds the gap.
 */
const RULE_TARGET_MAX_EVENT_AGE = Duration.hours(24);
const RULE_TARGET_RETRY_ATTEMPTS = 185;

export interface ObjectCreatedRouteProps {
  readonly topology: Topology;
  readonly uploadsBucket: s3.IBucket;
  readonly workQueue: sqs.IQueue;
}

export class ObjectCreatedRoute extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ObjectCreatedRouteProps) {
    super(scope, id);
    const { topology } = props;
    this.deadLetterQueue = createDeadLetterQueue(this, topology.ruleDeadLetterQueue, topology);
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      "This queue is a dead-letter queue: the EventBridge rule target's (DeadLetterConfig), which " +
        'SQS3 does not recognise because it only looks for SQS redrive policies. A DLQ of a DLQ ' +
        'would only move the same events further from the alarm that watches this one.',
    );
    this.rule = new events.Rule(this, topology.ruleName, {
      description: `S3 Object Created under ${topology.uploadsPrefix} → pixelmill work queue`,
      eventPattern: toCdkEventPattern(
        rulePattern(props.uploadsBucket.bucketName, topology.uploadsPrefix),
      ),
    });
    // The whole event is the message body: the worker parses the EventBridge envelope
    // (events/object-created.ts), exactly as the local cloud's bridge sends it.
    this.rule.addTarget(
      new targets.SqsQueue(props.workQueue, {
        deadLetterQueue: this.deadLetterQueue,
        maxEventAge: RULE_TARGET_MAX_EVENT_AGE,
        retryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
      }),
    );
  }
}
