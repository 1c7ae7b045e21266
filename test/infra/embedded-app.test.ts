/**
 * A platform team's own CDK app: its own stack (with an account and region), its own uploads
 * bucket (KMS-encrypted, with a prefix of its choosing), its own presets, ImagePipeline dropped in
 * with the AwsSolutions checks on. It synthesizes, and the pipeline adapts to the bucket it was
 * given instead of changing it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aws_kms as kms, Stack, type StackProps, aws_s3 as s3, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ImagePipeline } from '../../infra/cdk/image-pipeline.ts';
import type { PresetJson } from '../../infra/cdk/image-pipeline-props.ts';
import { addPipelineOutputs } from '../../infra/cdk/pipeline-outputs.ts';
import { STACK_OUTPUTS } from '../../infra/topology.ts';
import { tempDir } from '../helpers/temp.ts';
import { at, isRecord, STUB_WORKER_ENTRY, testApp } from './pipeline-under-test.ts';

const UPLOADS = 'acme-media-uploads';
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const PRESETS: PresetJson[] = [
  { name: 'thumb', width: 200, height: 200, fit: 'cover', formats: [{ format: 'webp' }] },
  { name: 'hero', width: 2400, formats: [{ format: 'avif', quality: 45 }, { format: 'jpeg' }] },
];

/** The team's stack: its own bucket, imported, and the pipeline reading it. */
class MediaStack extends Stack {
  readonly pipeline: ImagePipeline;
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const uploads = s3.Bucket.fromBucketAttributes(this, 'MediaUploads', {
      bucketName: UPLOADS,
      encryptionKey: kms.Key.fromKeyArn(this, 'MediaKey', KEY_ARN),
    });
    this.pipeline = new ImagePipeline(this, 'Images', {
      uploadsBucket: uploads,
      uploadsPrefix: 'incoming/',
      presets: PRESETS,
      workerEntry: STUB_WORKER_ENTRY,
      alarms: { email: 'media-oncall@example.com' },
    });
    addPipelineOutputs(this.pipeline);
  }
}

describe('ImagePipeline embedded in another app', () => {
  it('synthesizes with the team’s bucket and presets, AwsSolutions checks on', async (t) => {
    const app = testApp(await tempDir(t, 'embedded'));
    const stack = new MediaStack(app, 'AcmeMedia', {
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const template: unknown = assembly.getStackByName(stack.stackName).template;
    const resources = at(template, 'Resources');
    assert.ok(isRecord(resources));
    const ofType = (type: string) => Object.values(resources).filter((r) => at(r, 'Type') === type);

    // The team's bucket is not created, not changed, and no notification handler is added.
    assert.equal(ofType('AWS::S3::Bucket').length, 2, 'renditions and access logs only');
    assert.equal(ofType('Custom::S3BucketNotifications').length, 0);

    // The rule listens to the team's bucket, under its prefix.
    const rules = ofType('AWS::Events::Rule').filter((r) => at(r, 'Properties', 'EventPattern'));
    assert.equal(rules.length, 1, 'one event rule (the other is the audit schedule)');
    assert.deepEqual(at(rules[0], 'Properties', 'EventPattern', 'detail'), {
      bucket: { name: [UPLOADS] },
      object: { key: [{ prefix: 'incoming/' }] },
    });

    // The worker reads that bucket's prefix only, and may decrypt with its key.
    const statements = ofType('AWS::IAM::Policy').flatMap((p) => {
      const list = at(p, 'Properties', 'PolicyDocument', 'Statement');
      return Array.isArray(list) ? list : [];
    });
    const read = statements.find((s) => at(s, 'Sid') === 'ReadUploads');
    assert.equal(at(read, 'Resource'), `arn:aws:s3:::${UPLOADS}/incoming/*`);
    assert.ok(
      statements.some(
        (s) =>
          JSON.stringify(at(s, 'Action')) === JSON.stringify('kms:Decrypt') &&
          at(s, 'Resource') === KEY_ARN,
      ),
      'kms:Decrypt on the bucket key',
    );

    // The presets reach the worker as JSON, with the limits the function is sized for.
    const functions = ofType('AWS::Lambda::Function').filter(
      (f) => at(f, 'Properties', 'Runtime') === 'nodejs24.x',
    );
    assert.equal(functions.length, 2, 'the worker and the scheduled audit');
    for (const fn of functions) {
      const config = JSON.parse(
        String(at(fn, 'Properties', 'Environment', 'Variables', 'PIXELMILL_CONFIG')),
      );
      assert.deepEqual(
        config.presets,
        PRESETS,
        'the audit counts rows of the presets the worker uses',
      );
    }
    const config = JSON.parse(
      String(at(functions[0], 'Properties', 'Environment', 'Variables', 'PIXELMILL_CONFIG')),
    );
    assert.deepEqual(config.presets, PRESETS);
    assert.equal(config.limits.maxPixels, 50_000_000);

    // The outputs the CLI reads are there, the bucket's among them.
    const outputs = at(template, 'Outputs');
    assert.ok(isRecord(outputs));
    assert.deepEqual(Object.keys(outputs).sort(), Object.values(STACK_OUTPUTS).sort());
    assert.equal(at(outputs, STACK_OUTPUTS.uploadsBucketName, 'Value'), UPLOADS);
  });
});
