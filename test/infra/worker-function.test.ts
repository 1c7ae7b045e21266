import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aws_lambda as lambda } from 'aws-cdk-lib';
import { workerBundling } from '../../infra/cdk/worker-bundling.ts';
import {
  arnOf,
  at,
  buildPipeline,
  isRecord,
  logicalIdOf,
  type PipelineUnderTest,
  propertiesOf,
  propertiesOfType,
  ref,
} from './pipeline-under-test.ts';

interface Statement {
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
}

/** Every statement of the IAM policies attached to the worker's role, actions as a list. */
function workerStatements(p: PipelineUnderTest): Statement[] {
  const role = p.stack.worker.function.role;
  assert.ok(role, 'the worker has a role');
  const roleRef = { Ref: logicalIdOf(p, role) };
  const statements: Statement[] = [];
  for (const { properties } of propertiesOfType(p, 'AWS::IAM::Policy')) {
    const roles = properties.Roles;
    if (!Array.isArray(roles) || !roles.some((r) => JSON.stringify(r) === JSON.stringify(roleRef)))
      continue;
    const list = at(properties, 'PolicyDocument', 'Statement');
    assert.ok(Array.isArray(list));
    for (const s of list) {
      assert.ok(isRecord(s) && s.Effect === 'Allow');
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      statements.push({ actions: actions.map(String), resources });
    }
  }
  return statements;
}

function allows(statements: Statement[], action: string, resource: unknown): boolean {
  const wanted = JSON.stringify(resource);
  return statements.some(
    (s) => s.actions.includes(action) && s.resources.some((r) => JSON.stringify(r) === wanted),
  );
}

const objectsOf = (arn: unknown) => ({ 'Fn::Join': ['', [arn, '/*']] });

describe('worker function', () => {
  const p = buildPipeline();
  const { stack } = p;
  const fn = propertiesOf(p, stack.worker.function);

  it('runs on Node.js 24, x86_64, with the topology’s timeout and memory', () => {
    assert.equal(fn.Runtime, 'nodejs24.x');
    assert.deepEqual(fn.Architectures, ['x86_64']);
    assert.equal(fn.Handler, 'index.handler');
    assert.equal(fn.Timeout, stack.topology.workerTimeoutSeconds);
    assert.equal(fn.MemorySize, stack.topology.workerMemoryMb);
  });

  it('is given the environment workers/env.ts reads, and not AWS_REGION', () => {
    assert.deepEqual(at(fn, 'Environment', 'Variables'), {
      PIXELMILL_RENDITIONS_BUCKET: ref(p, stack.renditionsBucket),
      PIXELMILL_TABLE: ref(p, stack.table),
      PIXELMILL_MAX_RECEIVE_COUNT: '5',
    });
  });

  it('consumes the work queue in batches and reports partial batch failures', () => {
    const mappings = propertiesOfType(p, 'AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, 1);
    const mapping = mappings[0]?.properties;
    assert.deepEqual(at(mapping, 'FunctionResponseTypes'), ['ReportBatchItemFailures']);
    assert.deepEqual(at(mapping, 'EventSourceArn'), arnOf(p, stack.workQueues.queue));
    assert.deepEqual(at(mapping, 'FunctionName'), ref(p, stack.worker.function));
    assert.equal(at(mapping, 'BatchSize'), stack.topology.batchSize);
    assert.equal(at(mapping, 'MaximumBatchingWindowInSeconds'), stack.topology.batchWindowSeconds);
  });

  it('reads uploads, writes renditions, reads and writes the table, and never writes uploads', () => {
    const statements = workerStatements(p);
    const uploads = arnOf(p, stack.uploadsBucket);
    const renditions = arnOf(p, stack.renditionsBucket);
    const table = arnOf(p, stack.table);
    assert.ok(allows(statements, 's3:GetObject*', objectsOf(uploads)), 'GetObject on uploads');
    assert.ok(allows(statements, 's3:PutObject', objectsOf(renditions)), 'PutObject on renditions');
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) {
      assert.ok(allows(statements, action, table), `${action} on the table`);
    }
    for (const action of ['s3:PutObject', 's3:DeleteObject*']) {
      assert.ok(!allows(statements, action, objectsOf(uploads)), `no ${action} on uploads`);
    }
    assert.ok(allows(statements, 'sqs:DeleteMessage', arnOf(p, stack.workQueues.queue)));
  });

  it('can run on arm64, and bundling then installs sharp’s arm64 binary', () => {
    const arm = buildPipeline({ architecture: lambda.Architecture.ARM_64 });
    assert.deepEqual(propertiesOf(arm, arm.stack.worker.function).Architectures, ['arm64']);
    assert.equal(workerBundling(lambda.Architecture.ARM_64).environment?.npm_config_cpu, 'arm64');
    assert.equal(workerBundling(lambda.Architecture.X86_64).environment?.npm_config_cpu, 'x64');
  });
});
