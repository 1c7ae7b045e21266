/**
 * cdk-nag's AwsSolutions checks over the synthesized pipeline: zero findings that are not
 * acknowledged, and every acknowledgment with its reason. Checked two ways: the rule pack run over
 * the construct tree (every finding listed on failure), and CDK's own policy-validation step, the
 * one `cdk synth` runs from infra/cdk/app.ts, which fails the synth on any finding.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type App,
  aws_lambda as lambda,
  Stack,
  aws_s3 as s3,
  aws_sqs as sqs,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { ImagePipelineProps } from '../../infra/cdk/image-pipeline-props.ts';
import { PipelineStack } from '../../infra/cdk/pipeline-stack.ts';
import { tempDir } from '../helpers/temp.ts';
import { STUB_WORKER_ENTRY, testApp } from './pipeline-under-test.ts';

function stackApp(
  props: ImagePipelineProps = {},
  outdir?: string,
): { app: App; stack: PipelineStack } {
  const app = testApp(outdir);
  const stack = new PipelineStack(app, 'NagUnderTest', {
    pipeline: { workerEntry: STUB_WORKER_ENTRY, ...props },
  });
  return { app, stack };
}

/** Every finding the AwsSolutions pack reports that nothing acknowledged, one line each. */
function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`),
  );
}

/** Every acknowledgment recorded in the tree: rule id → reason. */
function acknowledgments(scope: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${id.replace(/^annotation::/i, '')} on ${construct.node.path}`, reason);
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack', () => {
    const { app } = stackApp();
    assert.deepEqual(findings(app), []);
  });

  it('finds nothing unacknowledged on arm64, with an e-mail subscription and custom tuning', () => {
    const { app } = stackApp({
      architecture: lambda.Architecture.ARM_64,
      alarms: { email: 'oncall@example.com' },
      maxConcurrency: 100,
      reservedConcurrency: 100,
      limits: { maxPixels: 100_000_000 },
    });
    assert.deepEqual(findings(app), []);
  });

  it('finds nothing unacknowledged when the audit reads an inventory report', () => {
    const bucket = s3.Bucket.fromBucketName(new Stack(), 'Inventory', 'pixelmill-inventory');
    const { app, stack } = stackApp({ audit: { inventory: { bucket, configId: 'daily' } } });
    assert.deepEqual(findings(app), []);
    const read = [...acknowledgments(stack).keys()].filter((id) =>
      id.includes(':s3:::pixelmill-inventory/'),
    );
    assert.equal(read.length, 1, 'the report prefix, on the audit role only');
    assert.match(read[0] ?? '', /daily\/\*\] on NagUnderTest\/Pipeline\/Audit\/Role$/);
  });

  it('passes CDK’s policy-validation step, as `cdk synth` runs it (a finding would throw)', async (t) => {
    const { app } = stackApp({}, await tempDir(t, 'nag'));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    assert.doesNotThrow(() => app.synth());
  });

  it('is not vacuous: a plain queue beside the pipeline is reported, and fails the synth', async (t) => {
    const { app, stack } = stackApp({}, await tempDir(t, 'nag'));
    new sqs.Queue(stack, 'PlainQueue');
    const reported = findings(app);
    assert.ok(reported.some((f) => f.includes('AwsSolutions-SQS3 at NagUnderTest/PlainQueue')));
    assert.ok(reported.some((f) => f.includes('AwsSolutions-SQS4 at NagUnderTest/PlainQueue')));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // CDK prints the report; the test reads the copy it writes instead.
    const printed = t.mock.method(console, 'error', () => undefined);
    let message = '';
    assert.throws(
      () => app.synth(),
      (error: unknown) => {
        message = error instanceof Error ? error.message : String(error);
        return /Validation failed/.test(message);
      },
    );
    printed.mock.restore();
    const reportPath = /found in: (\S+\.json)/.exec(message)?.[1];
    assert.ok(reportPath, message);
    assert.match(readFileSync(reportPath, 'utf8'), /AwsSolutions-SQS4/);
  });

  it('acknowledges only these findings, each on its own resource, each with a reason', () => {
    const { app } = stackApp();
    const found = acknowledgments(app);
    assert.deepEqual([...found.keys()].sort(), [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole] on NagUnderTest/BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
      'AwsSolutions-IAM5[Resource::<Pipelinepixelmillrenditions0F0F4B1B.Arn>/*] on NagUnderTest/Pipeline/Worker/Role',
      // The audit HEADs renditions stored under hashed keys: two prefixes, s3:GetObject only.
      'AwsSolutions-IAM5[Resource::<Pipelinepixelmillrenditions0F0F4B1B.Arn>/_long-keys/*] on NagUnderTest/Pipeline/Audit/Role',
      'AwsSolutions-IAM5[Resource::<Pipelinepixelmillrenditions0F0F4B1B.Arn>/_unsafe-keys/*] on NagUnderTest/Pipeline/Audit/Role',
      'AwsSolutions-IAM5[Resource::<Pipelinepixelmilluploads89A4AB01.Arn>/uploads/*] on NagUnderTest/Pipeline/Worker/Role',
      'AwsSolutions-S1 on NagUnderTest/Pipeline/AccessLogs',
      'AwsSolutions-SQS3 on NagUnderTest/Pipeline/ObjectCreatedRoute/pixelmill-rule-dlq',
    ]);
    for (const [id, reason] of found) {
      assert.ok(reason.length >= 80, `the reason for ${id} says why: "${reason}"`);
    }
  });
});
