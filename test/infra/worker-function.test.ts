import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aws_lambda as lambda } from 'aws-cdk-lib';
import { workerBundling } from '../../infra/cdk/worker-bundling.ts';
import {
  arnOf,
  at,
  buildPipeline,
  listOf,
  type PipelineUnderTest,
  propertiesOf,
  propertiesOfType,
  ref,
  roleStatements,
} from './pipeline-under-test.ts';

interface Statement {
  readonly effect: unknown;
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
  readonly condition: unknown;
}

/** Every statement of every IAM policy attached to the worker's role, actions as a list. */
function workerStatements(p: PipelineUnderTest): Statement[] {
  return roleStatements(p, p.pipeline.worker.role).map((s) => ({
    effect: s.Effect,
    actions: listOf(s.Action).map(String).sort(),
    resources: listOf(s.Resource),
    condition: s.Condition,
  }));
}

const objectsUnder = (arn: unknown, prefix: string) => ({ 'Fn::Join': ['', [arn, `/${prefix}*`]] });

describe('worker function', () => {
  const p = buildPipeline();
  const { pipeline } = p;
  const fn = propertiesOf(p, pipeline.worker.function);

  it('runs on Node.js 24, x86_64, with a timeout and memory sized for the image limits', () => {
    assert.equal(fn.Runtime, 'nodejs24.x');
    assert.deepEqual(fn.Architectures, ['x86_64']);
    assert.equal(fn.Handler, 'index.handler');
    // Defaults: the limits need 1,280 MB and 55 s, below topology.ts's 2,048 MB and 120 s.
    assert.equal(fn.Timeout, 120);
    assert.equal(fn.MemorySize, 2048);
    assert.equal(pipeline.topology.workerTimeoutSeconds, fn.Timeout);
    assert.equal(fn.ReservedConcurrentExecutions, undefined, 'reserved concurrency is optional');
    const big = buildPipeline({ limits: { maxPixels: 200_000_000, timeoutSeconds: 300 } });
    const bigFn = propertiesOf(big, big.pipeline.worker.function);
    assert.equal(bigFn.MemorySize, 3456, 'two 200 MP images at once');
    assert.equal(bigFn.Timeout, 325, 'one 300 s image plus the record loop’s margins');
  });

  it('is given the environment workers/env.ts and Powertools read, and not AWS_REGION', () => {
    assert.deepEqual(at(fn, 'Environment', 'Variables'), {
      PIXELMILL_UPLOADS_BUCKET: ref(p, pipeline.uploadsBucket),
      PIXELMILL_UPLOADS_PREFIX: 'uploads/',
      PIXELMILL_RENDITIONS_BUCKET: ref(p, pipeline.renditionsBucket),
      PIXELMILL_TABLE: ref(p, pipeline.table),
      PIXELMILL_MAX_RECEIVE_COUNT: '8',
      PIXELMILL_CONFIG: JSON.stringify({
        limits: {
          maxBytes: 67108864,
          maxPixels: 50000000,
          maxDimension: 32768,
          maxFrames: 300,
          timeoutSeconds: 30,
          maxMemoryMb: 1024,
        },
      }),
      POWERTOOLS_SERVICE_NAME: 'PipelineUnderTest/Pipeline',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_LOGGER_SAMPLE_RATE: '0.01',
      MALLOC_ARENA_MAX: '2',
    });
    assert.equal(at(fn, 'Environment', 'Variables', 'AWS_REGION'), undefined);
  });

  it('logs to its own log group with a retention', () => {
    assert.deepEqual(at(fn, 'LoggingConfig', 'LogGroup'), ref(p, pipeline.worker.logGroup));
    assert.equal(propertiesOf(p, pipeline.worker.logGroup).RetentionInDays, 30);
  });

  it('consumes the work queue in batches, reports partial batch failures, caps its concurrency', () => {
    const mappings = propertiesOfType(p, 'AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, 1);
    const mapping = mappings[0]?.properties;
    assert.deepEqual(at(mapping, 'FunctionResponseTypes'), ['ReportBatchItemFailures']);
    assert.deepEqual(at(mapping, 'EventSourceArn'), arnOf(p, pipeline.workQueues.queue));
    assert.deepEqual(at(mapping, 'FunctionName'), ref(p, pipeline.worker.function));
    assert.equal(at(mapping, 'BatchSize'), pipeline.topology.batchSize);
    assert.equal(
      at(mapping, 'MaximumBatchingWindowInSeconds'),
      pipeline.topology.batchWindowSeconds,
    );
    assert.deepEqual(at(mapping, 'ScalingConfig'), { MaximumConcurrency: 10 });

    const tuned = buildPipeline({ maxConcurrency: 50, reservedConcurrency: 60, batchSize: 5 });
    const tunedMapping = propertiesOfType(tuned, 'AWS::Lambda::EventSourceMapping')[0]?.properties;
    assert.deepEqual(at(tunedMapping, 'ScalingConfig'), { MaximumConcurrency: 50 });
    assert.equal(at(tunedMapping, 'BatchSize'), 5);
    assert.equal(
      propertiesOf(tuned, tuned.pipeline.worker.function).ReservedConcurrentExecutions,
      60,
    );
  });

  it('may read uploads under the prefix, write renditions, get and update its rows, defer to its own queue; nothing else', () => {
    const uploads = arnOf(p, pipeline.uploadsBucket);
    const expected: Statement[] = [
      {
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [arnOf(p, pipeline.worker.logGroup)],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        resources: [arnOf(p, pipeline.workQueues.queue)],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [objectsUnder(uploads, 'uploads/')],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['s3:ListBucket'],
        resources: [uploads],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [objectsUnder(arnOf(p, pipeline.renditionsBucket), '')],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['s3:ListBucket'],
        resources: [arnOf(p, pipeline.renditionsBucket)],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [arnOf(p, pipeline.table)],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['sqs:SendMessage'],
        resources: [arnOf(p, pipeline.workQueues.deadLetterQueue)],
        condition: undefined,
      },
      {
        effect: 'Allow',
        actions: ['sqs:SendMessage'],
        resources: [arnOf(p, pipeline.workQueues.queue)],
        condition: undefined,
      },
    ];
    const byJson = (list: Statement[]) => list.map((s) => JSON.stringify(s)).sort();
    assert.deepEqual(byJson(workerStatements(p)), byJson(expected));
  });

  it('has no `*` resource and no wildcard action, and no managed policy', () => {
    for (const s of workerStatements(p)) {
      assert.ok(!s.resources.includes('*'), `${s.actions.join(',')} on *`);
      assert.ok(!s.actions.some((a) => a.includes('*')), `wildcard action in ${s.actions}`);
    }
    const role = propertiesOf(p, pipeline.worker.role);
    assert.equal(role.ManagedPolicyArns, undefined);
    assert.equal(role.Policies, undefined);
  });

  it('can run on arm64, and bundling then installs sharp’s arm64 binary', () => {
    const arm = buildPipeline({ architecture: lambda.Architecture.ARM_64 });
    assert.deepEqual(propertiesOf(arm, arm.pipeline.worker.function).Architectures, ['arm64']);
    assert.equal(workerBundling(lambda.Architecture.ARM_64).environment?.npm_config_cpu, 'arm64');
    assert.equal(workerBundling(lambda.Architecture.X86_64).environment?.npm_config_cpu, 'x64');
    // npm skips an optional package it cannot fetch; bundling refuses an asset without sharp's.
    const [child, ...checks] =
      workerBundling(lambda.Architecture.ARM_64).commandHooks?.afterBundling('in', 'out') ?? [];
    // First the pixel process's own bundle, beside the handler's (synth.test.ts runs it).
    assert.match(
      child ?? '',
      /esbuild" ".*workers\/pixel-child\.ts" --bundle .*--outfile="out\/pixel-child\.mjs"/,
    );
    assert.deepEqual(
      checks?.map((c) => /node_modules\/(\S+)\/package\.json/.exec(c)?.[1]),
      ['@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64'],
    );
    assert.ok(checks.every((c) => c.includes('exit 1')));
  });
});
