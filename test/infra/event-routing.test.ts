import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { rulePattern } from '../../infra/topology.ts';
import { arnOf, at, buildPipeline, numberAt, propertiesOf, ref } from './pipeline-under-test.ts';

describe('S3 → EventBridge → SQS routing', () => {
  const p = buildPipeline();
  const { pipeline } = p;
  const rule = propertiesOf(p, pipeline.route.rule);

  it('matches Object Created events from the uploads bucket under the uploads prefix', () => {
    assert.deepEqual(rule.EventPattern, {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [ref(p, pipeline.uploadsBucket)] },
        object: { key: [{ prefix: 'uploads/' }] },
      },
    });
  });

  it('uses the pattern topology.ts defines for the local cloud, with the stack’s bucket', () => {
    const expected = rulePattern(
      pipeline.uploadsBucket.bucketName,
      pipeline.topology.uploadsPrefix,
    );
    assert.deepEqual(rule.EventPattern, p.stack.resolve(expected));
  });

  it('turns EventBridge notifications on for the uploads bucket', () => {
    const notifications = Object.values(p.template.findResources('Custom::S3BucketNotifications'));
    assert.equal(notifications.length, 1);
    assert.deepEqual(
      at(notifications[0], 'Properties', 'BucketName'),
      ref(p, pipeline.uploadsBucket),
    );
    assert.deepEqual(
      at(notifications[0], 'Properties', 'NotificationConfiguration', 'EventBridgeConfiguration'),
      {},
    );
  });

  it('targets the work queue, with a rule-target DLQ and an explicit retry policy', () => {
    const targets = at(rule, 'Targets');
    assert.ok(Array.isArray(targets));
    assert.equal(targets.length, 1);
    const target = targets[0];
    assert.deepEqual(at(target, 'Arn'), arnOf(p, pipeline.workQueues.queue));
    assert.deepEqual(at(target, 'DeadLetterConfig'), {
      Arn: arnOf(p, pipeline.route.deadLetterQueue),
    });
    assert.equal(numberAt(target, 'RetryPolicy', 'MaximumRetryAttempts'), 185);
    assert.equal(numberAt(target, 'RetryPolicy', 'MaximumEventAgeInSeconds'), 24 * 60 * 60);
  });

  it('lets only this rule send to the work queue and to the rule DLQ', () => {
    for (const queue of [pipeline.workQueues.queue, pipeline.route.deadLetterQueue]) {
      p.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(p, queue)],
        PolicyDocument: {
          Statement: Match.arrayWith(
            [
              {
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Condition: { ArnEquals: { 'aws:SourceArn': arnOf(p, pipeline.route.rule) } },
              },
            ].map((statement) => Match.objectLike({ ...statement, Resource: arnOf(p, queue) })),
          ),
        },
      });
    }
  });
});
