/**
 * Queue URLs made from a record's `eventSourceARN` (the worker sends a poison record to its DLQ
 * and a deferred copy to its own queue by URL): right in every partition, whose DNS suffixes
 * differ. The suffix comes from the SDK's own endpoint rules, not from a table of ours.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlFromArn, sqsEndpointFor } from '../../lib/aws/queue.ts';

describe('queue URLs from ARNs', () => {
  const endpointFor = sqsEndpointFor(new SQSClient({ region: 'us-east-1' }));
  it('names the queue on SQS in its own partition', () => {
    for (const [arn, url] of [
      [
        'arn:aws:sqs:eu-west-1:123456789012:work',
        'https://sqs.eu-west-1.amazonaws.com/123456789012/work',
      ],
      [
        'arn:aws-cn:sqs:cn-north-1:123456789012:work',
        'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/work',
      ],
      [
        'arn:aws-us-gov:sqs:us-gov-west-1:123456789012:work',
        'https://sqs.us-gov-west-1.amazonaws.com/123456789012/work',
      ],
      [
        'arn:aws-iso:sqs:us-iso-east-1:123456789012:work',
        'https://sqs.us-iso-east-1.c2s.ic.gov/123456789012/work',
      ],
    ] as const) {
      assert.equal(queueUrlFromArn(arn, endpointFor), url);
    }
  });

  it('refuses what is not an SQS queue ARN', () => {
    for (const arn of ['arn:aws:sns:us-east-1:123456789012:topic', 'sqs:us-east-1:1:q', '']) {
      assert.throws(() => queueUrlFromArn(arn, endpointFor), /Expected an SQS queue ARN/);
    }
  });
});
