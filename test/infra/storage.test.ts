import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import {
  buildPipeline,
  logicalIdOf,
  propertiesOf,
  propertiesOfType,
  ref,
  resourcesOf,
} from './pipeline-under-test.ts';

const BLOCK_ALL = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};

describe('buckets and metadata table', () => {
  const p = buildPipeline();
  const { pipeline } = p;
  const buckets = [pipeline.uploadsBucket, pipeline.renditionsBucket, pipeline.accessLogsBucket];

  it('versions the uploads bucket; renditions are not versioned', () => {
    assert.deepEqual(propertiesOf(p, pipeline.uploadsBucket).VersioningConfiguration, {
      Status: 'Enabled',
    });
    assert.equal(propertiesOf(p, pipeline.renditionsBucket).VersioningConfiguration, undefined);
  });

  it('expires old versions of uploads and abandoned multipart uploads', () => {
    assert.deepEqual(propertiesOf(p, pipeline.uploadsBucket).LifecycleConfiguration, {
      Rules: [
        {
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          Status: 'Enabled',
        },
      ],
    });
    assert.deepEqual(propertiesOf(p, pipeline.renditionsBucket).LifecycleConfiguration, {
      Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }],
    });
    const custom = buildPipeline({ noncurrentVersionExpirationDays: 3 });
    assert.deepEqual(propertiesOf(custom, custom.pipeline.uploadsBucket).LifecycleConfiguration, {
      Rules: [
        {
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          NoncurrentVersionExpiration: { NoncurrentDays: 3 },
          Status: 'Enabled',
        },
      ],
    });
  });

  it('encrypts every bucket, blocks public access, disables ACLs and lets CFN name it', () => {
    const found = propertiesOfType(p, 'AWS::S3::Bucket');
    assert.equal(found.length, 3, 'uploads, renditions and their access logs');
    for (const { id, properties } of found) {
      assert.deepEqual(
        properties.BucketEncryption,
        {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        `${id} encryption`,
      );
      assert.deepEqual(properties.PublicAccessBlockConfiguration, BLOCK_ALL, `${id} BPA`);
      assert.deepEqual(
        properties.OwnershipControls,
        { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        `${id} ownership`,
      );
      assert.equal(properties.AccessControl, undefined, `${id} has no ACL`);
      assert.equal(properties.BucketName, undefined, `${id} has a generated name`);
    }
  });

  it('denies every request to every bucket that is not made over TLS', () => {
    for (const bucket of buckets) {
      p.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(p, bucket),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('logs requests to uploads and renditions into the access-log bucket, under a bucket policy', () => {
    const logs = ref(p, pipeline.accessLogsBucket);
    assert.deepEqual(propertiesOf(p, pipeline.uploadsBucket).LoggingConfiguration, {
      DestinationBucketName: logs,
      LogFilePrefix: 'uploads/',
    });
    assert.deepEqual(propertiesOf(p, pipeline.renditionsBucket).LoggingConfiguration, {
      DestinationBucketName: logs,
      LogFilePrefix: 'renditions/',
    });
    p.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: logs,
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
          }),
        ]),
      },
    });
    assert.deepEqual(propertiesOf(p, pipeline.accessLogsBucket).LifecycleConfiguration, {
      Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }],
    });
  });

  it('keys the table by the topology’s pk/sk strings, on demand, with PITR', () => {
    const table = propertiesOf(p, pipeline.table);
    assert.deepEqual(table.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table.AttributeDefinitions, [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    assert.deepEqual(pipeline.topology.tableKeys, { partitionKey: 'pk', sortKey: 'sk' });
    assert.equal(table.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(table.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(table.TableName, undefined);
  });

  it('expires the per-minute counts through the table’s TTL attribute', () => {
    assert.deepEqual(propertiesOf(p, pipeline.table).TimeToLiveSpecification, {
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });

  it('keeps the data when the stack is deleted (RETAIN by default)', () => {
    const resources = resourcesOf(p);
    for (const construct of [...buckets, pipeline.table, pipeline.worker.logGroup]) {
      const resource = resources[logicalIdOf(p, construct)];
      assert.equal(resource?.DeletionPolicy, 'Retain', construct.node.path);
      assert.equal(resource?.UpdateReplacePolicy, 'Retain', construct.node.path);
    }
  });
});
