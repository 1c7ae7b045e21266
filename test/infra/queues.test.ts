import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import {
  arnOf,
  at,
  buildPipeline,
  numberAt,
  propertiesOf,
  propertiesOfType,
} from './pipeline-under-test.ts';

describe('work queue and dead-letter queues', () => {
  const p = buildPipeline();
  const { pipeline } = p;
  const workQueue = propertiesOf(p, pipeline.workQueues.queue);
  const workDlq = propertiesOf(p, pipeline.workQueues.deadLetterQueue);
  const ruleDlq = propertiesOf(p, pipeline.route.deadLetterQueue);
  const fn = propertiesOf(p, pipeline.worker.function);
  const mapping = propertiesOfType(p, 'AWS::Lambda::EventSourceMapping');

  it('moves a message to the work DLQ after maxReceiveCount receives', () => {
    assert.deepEqual(workQueue.RedrivePolicy, {
      deadLetterTargetArn: arnOf(p, pipeline.workQueues.deadLetterQueue),
      maxReceiveCount: 8,
    });
    assert.equal(pipeline.topology.maxReceiveCount, 8);
  });

  it('keeps the visibility timeout at least 6 × the function timeout + batching window', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
    const visibility = numberAt(workQueue, 'VisibilityTimeout');
    const timeout = numberAt(fn, 'Timeout');
    assert.equal(mapping.length, 1);
    const window = numberAt(mapping[0]?.properties, 'MaximumBatchingWindowInSeconds');
    assert.equal(
      visibility,
      6 * timeout + window,
      `VisibilityTimeout ${visibility} ≠ 6 × Timeout ${timeout} + window ${window}`,
    );
    // Derived from whatever the timeout and window become, never typed.
    const tuned = buildPipeline({ timeoutSeconds: 200, batchWindowSeconds: 20, batchSize: 100 });
    assert.equal(
      numberAt(propertiesOf(tuned, tuned.pipeline.workQueues.queue), 'VisibilityTimeout'),
      6 * 200 + 20,
    );
  });

  it('keeps failed messages longer in each DLQ than in the work queue', () => {
    const work = numberAt(workQueue, 'MessageRetentionPeriod');
    for (const [name, dlq] of [
      ['work DLQ', workDlq],
      ['rule DLQ', ruleDlq],
    ] as const) {
      const retention = numberAt(dlq, 'MessageRetentionPeriod');
      assert.ok(retention > work, `${name} retention ${retention} ≤ work queue retention ${work}`);
    }
    assert.equal(work, pipeline.topology.workQueueRetentionSeconds);
    assert.equal(numberAt(workDlq, 'MessageRetentionPeriod'), 14 * 24 * 60 * 60);
  });

  it('encrypts every queue with SSE-SQS and denies requests without TLS', () => {
    const queues = propertiesOfType(p, 'AWS::SQS::Queue');
    assert.equal(queues.length, 3);
    for (const { id, properties } of queues) {
      assert.equal(properties.SqsManagedSseEnabled, true, `${id} SqsManagedSseEnabled`);
      assert.equal(properties.QueueName, undefined, `${id} has a generated name`);
      p.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { 'Fn::GetAtt': [id, 'Arn'] },
            },
          ]),
        },
      });
    }
    assert.equal(at(workDlq, 'RedrivePolicy'), undefined);
  });
});
