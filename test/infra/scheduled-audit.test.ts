/** The scheduled audit in the template: its schedule, environment, limits and exact permissions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stack, aws_s3 as s3 } from 'aws-cdk-lib';
import { ImagePipelinePropsError } from '../../infra/cdk/image-pipeline-props.ts';
import {
  arnOf,
  at,
  buildPipeline,
  isRecord,
  listOf,
  type PipelineUnderTest,
  propertiesOf,
  ref,
  roleStatements,
} from './pipeline-under-test.ts';

function auditStatements(p: PipelineUnderTest): string[] {
  return roleStatements(p, p.pipeline.audit.role)
    .map((s) => {
      const actions = listOf(s.Action).map(String).sort();
      const resources = listOf(s.Resource)
        .map((r) => JSON.stringify(r))
        .sort();
      return JSON.stringify({ actions, resources });
    })
    .sort();
}

/** `<bucket ARN>/<pattern>` as the template joins it. */
function objectsOf(
  p: PipelineUnderTest,
  bucket: PipelineUnderTest['pipeline']['renditionsBucket'],
  pattern: string,
): unknown {
  return { 'Fn::Join': ['', [arnOf(p, bucket), `/${pattern}`]] };
}

/** The audit role's policy statements as written. */
const policyStatements = (p: PipelineUnderTest) => roleStatements(p, p.pipeline.audit.role);

describe('scheduled audit', () => {
  const p = buildPipeline();
  const { pipeline } = p;
  const fn = propertiesOf(p, pipeline.audit.function);

  it('runs every hour for up to 15 minutes, reserving no concurrency unless asked', () => {
    assert.equal(propertiesOf(p, pipeline.audit.rule).ScheduleExpression, 'rate(1 hour)');
    assert.deepEqual(
      at(propertiesOf(p, pipeline.audit.rule), 'Targets', 0, 'Arn'),
      arnOf(p, pipeline.audit.function),
    );
    assert.equal(fn.Runtime, 'nodejs24.x');
    assert.equal(fn.Timeout, 900);
    // A reservation must leave the account 100 unreserved: it would fail the deploy where the
    // account's quota is 10 or 50, as new accounts' are.
    assert.equal(fn.ReservedConcurrentExecutions, undefined);
    const reserved = buildPipeline({ audit: { reservedConcurrency: 1 } });
    assert.equal(
      propertiesOf(reserved, reserved.pipeline.audit.function).ReservedConcurrentExecutions,
      1,
    );
  });

  it('is told the resources it joins, the worker’s config, and to repair', () => {
    const env = at(fn, 'Environment', 'Variables');
    assert.ok(isRecord(env));
    assert.deepEqual(env.PIXELMILL_UPLOADS_BUCKET, ref(p, pipeline.uploadsBucket));
    assert.equal(env.PIXELMILL_UPLOADS_PREFIX, 'uploads/');
    assert.deepEqual(env.PIXELMILL_TABLE, ref(p, pipeline.table));
    assert.deepEqual(env.PIXELMILL_WORK_QUEUE_URL, ref(p, pipeline.workQueues.queue));
    assert.deepEqual(
      env.PIXELMILL_DEAD_LETTER_QUEUE_URL,
      ref(p, pipeline.workQueues.deadLetterQueue),
    );
    assert.equal(env.PIXELMILL_AUDIT_REPAIR, 'true');
    assert.equal(
      env.PIXELMILL_CONFIG,
      at(propertiesOf(p, pipeline.worker.function), 'Environment', 'Variables', 'PIXELMILL_CONFIG'),
    );
    assert.equal(
      env.POWERTOOLS_SERVICE_NAME,
      pipeline.settings.serviceName,
      'its AuditGaps metric carries the alarm’s dimension',
    );
  });

  it('may list both buckets, read rows and note repairs, peek the DLQ, re-enqueue: nothing else', () => {
    const stmt = (actions: string[], resources: unknown[]) =>
      JSON.stringify({
        actions: [...actions].sort(),
        resources: resources.map((r) => JSON.stringify(r)).sort(),
      });
    assert.deepEqual(
      auditStatements(p),
      [
        stmt(['logs:CreateLogStream', 'logs:PutLogEvents'], [arnOf(p, pipeline.audit.logGroup)]),
        stmt(
          ['s3:ListBucket', 's3:ListBucketVersions'],
          [arnOf(p, pipeline.uploadsBucket), arnOf(p, pipeline.renditionsBucket)],
        ),
        stmt(
          ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
          [arnOf(p, pipeline.table)],
        ),
        stmt(['dynamodb:UpdateItem'], [arnOf(p, pipeline.table)]),
        stmt(['dynamodb:PutItem'], [arnOf(p, pipeline.table)]),
        stmt(
          ['s3:GetObject'],
          [
            objectsOf(p, pipeline.renditionsBucket, '_long-keys/*'),
            objectsOf(p, pipeline.renditionsBucket, '_unsafe-keys/*'),
          ],
        ),
        stmt(
          ['sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
          [arnOf(p, pipeline.workQueues.deadLetterQueue)],
        ),
        stmt(['sqs:GetQueueAttributes', 'sqs:SendMessage'], [arnOf(p, pipeline.workQueues.queue)]),
      ].sort(),
    );
  });

  it('reads rows by key, never scans, and writes only its own checkpoint partition', () => {
    const checkpoint = policyStatements(p).find((s) => s.Sid === 'Checkpoint');
    assert.ok(checkpoint, 'a Checkpoint statement');
    assert.equal(checkpoint.Action, 'dynamodb:PutItem');
    assert.deepEqual(checkpoint.Condition, {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['pixelmill#audit'] },
    });
    assert.ok(!auditStatements(p).join('\n').includes('dynamodb:Scan'));
    const env = at(fn, 'Environment', 'Variables');
    assert.ok(isRecord(env));
    assert.equal(env.PIXELMILL_AUDIT_CONCURRENCY, '16');
  });

  it('reports only, with no write permission, when repair is off; and checks its interval', () => {
    const readOnly = buildPipeline({ audit: { repair: false, intervalMinutes: 15 } });
    const statements = auditStatements(readOnly).join('\n');
    assert.ok(!statements.includes('sqs:SendMessage'));
    assert.ok(!statements.includes('dynamodb:UpdateItem'));
    assert.equal(
      propertiesOf(readOnly, readOnly.pipeline.audit.rule).ScheduleExpression,
      'rate(15 minutes)',
    );
    assert.throws(
      () => buildPipeline({ audit: { intervalMinutes: 1 } }),
      (e) =>
        e instanceof ImagePipelinePropsError &&
        e.problems.some((m) => m.includes('audit.intervalMinutes')),
    );
  });
  it('reads the newest inventory report under its prefix, and nothing else of that bucket', () => {
    const bucket = s3.Bucket.fromBucketName(new Stack(), 'Inventory', 'pixelmill-inventory');
    const inv = buildPipeline({
      audit: { inventory: { bucket, destinationPrefix: 'reports', configId: 'daily' } },
    });
    const uploads = ref(inv, inv.pipeline.uploadsBucket);
    const env = at(propertiesOf(inv, inv.pipeline.audit.function), 'Environment', 'Variables');
    assert.ok(isRecord(env));
    assert.deepEqual(env.PIXELMILL_AUDIT_INVENTORY, {
      'Fn::Join': ['', ['s3://pixelmill-inventory/reports/', uploads, '/daily/']],
    });
    assert.equal(at(fn, 'Environment', 'Variables', 'PIXELMILL_AUDIT_INVENTORY'), undefined);
    const byId = new Map(policyStatements(inv).map((s) => [s.Sid, s]));
    const bucketArn = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::pixelmill-inventory']],
    };
    assert.deepEqual(byId.get('ListInventory'), {
      Sid: 'ListInventory',
      Action: 's3:ListBucket',
      Effect: 'Allow',
      Resource: bucketArn,
      Condition: {
        StringLike: { 's3:prefix': [{ 'Fn::Join': ['', ['reports/', uploads, '/daily/*']] }] },
      },
    });
    assert.deepEqual(byId.get('ReadInventory'), {
      Sid: 'ReadInventory',
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':s3:::pixelmill-inventory/reports/',
            uploads,
            '/daily/*',
          ],
        ],
      },
    });
    assert.throws(
      () =>
        buildPipeline({
          audit: { inventory: { bucket, destinationPrefix: 'r/', configId: 'a b' } },
        }),
      (e) =>
        e instanceof ImagePipelinePropsError &&
        e.problems.some((m) => m.includes('audit.inventory.destinationPrefix')) &&
        e.problems.some((m) => m.includes('audit.inventory.configId')),
    );
  });
});
