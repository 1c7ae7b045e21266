/**
 * The SQS defaults every pixelmill queue gets: SQS-managed server-side encryption (SSE-SQS: no KMS
 * key policy to grant EventBridge, which delivers through the queue's resource policy) and a queue
 * policy that denies requests not made over TLS.
 *
 * - SSE-SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
 * - EventBridge → SQS permissions: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
 * - TLS only: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html
 */
import { aws_sqs as sqs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export type SecureQueueProps = Pick<
  sqs.QueueProps,
  'retentionPeriod' | 'visibilityTimeout' | 'deadLetterQueue'
>;

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
