/**
 * The work queue and its dead-letter queue. SQS's redrive policy moves a message to the DLQ after
 * `maxReceiveCount` receives, which is how a record the worker keeps failing (a transient error
 * that never clears) stops being retried and becomes visible to operators.
 *
 * - Redrive policy: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 * - Visibility timeout for a Lambda event source (≥ 6 × function timeout + batching window):
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
 */
import { Duration, type aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Topology } from '../topology.ts';
import { createDeadLetterQueue, createSecureQueue } from './secure-queue.ts';

export interface WorkQueuesProps {
  readonly topology: Topology;
}

export class WorkQueues extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueuesProps) {
    super(scope, id);
    const { topology } = props;
    // SQS keeps a message's original enqueue timestamp when it moves it to the DLQ, so the DLQ's
    // retention must be longer than the work queue's (topology validates this).
    this.deadLetterQueue = createDeadLetterQueue(this, topology.deadLetterQueue, topology);
    this.queue = createSecureQueue(this, topology.workQueue, {
      visibilityTimeout: Duration.seconds(topology.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(topology.workQueueRetentionSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: topology.maxReceiveCount },
    });
  }
}
