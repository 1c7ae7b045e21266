/**
 * The SQS defaults every pixelmill queue gets: SQS-managed server-side encryption (SSE-SQS: no KMS
 * key policy to grant EventBridge, which delivers through the queue's resource policy) and a queue
 * policy that denies requests not made over TLS.
 *
 * - SSE-SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
 * - EventBridge → SQS permissions: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
 * - TLS only: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html
 */
import { Duration, aws_sqs as sqs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Topology } from '../topology.ts';

export type SecureQueueProps = Pick<
  sqs.QueueProps,
  'retentionPeriod' | 'visibilityTimeout' | 'deadLetterQueue'
>;

/**
 * A dead-letter queue: secure, and keeping messages for the topology's dead-letter retention,
 * longer than any source queue's (SQS keeps a message's original enqueue time when it moves it;
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
 */
export function createDeadLetterQueue(
  scope: Construct,
  id: string,
  topology: Pick<Topology, 'deadLetterRetentionSeconds'>,
): sqs.Queue {
  return createSecureQueue(scope, id, {
    retentionPeriod: Duration.seconds(topology.deadLetterRetentionSeconds),
  });
}

export function createSecureQueue(
  scope: Construct,
  id: string,
  props: SecureQueueProps,
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    ...props,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
}
