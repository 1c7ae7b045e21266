import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { buildPipeline, propertiesOf, propertiesOfType, ref } from './pipeline-under-test.ts';

const BLOCK_ALL = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};

describe('buckets and metadata table', () => {
  const p = buildPipeline();
  const { stack } = p;

  it('versions the uploads bucket; renditions are not versioned', () => {
    assert.deepEqual(propertiesOf(p, stack.uploadsBucket).VersioningConfiguration, {
      Status: 'Enabled',
    });
    assert.equal(propertiesOf(p, stack.renditionsBucket).VersioningConfiguration, undefined);
  });

  it('encrypts every bucket, blocks public access, disables ACLs and lets CFN name it', () => {
    const buckets = propertiesOfType(p, 'AWS::S3::Bucket');
    assert.equal(buckets.length, 2);
    for (const { id, properties } of buckets) {
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
      assert.equal(properties.BucketName, undefined, `${id} has a generated name`);
    }
  });

  it('denies every request to either bucket that is not made over TLS', () => {
    for (const bucket of [stack.uploadsBucket, stack.renditionsBucket]) {
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

  it('keys the table by the topology’s pk/sk strings, on demand, with PITR', () => {
    const table = propertiesOf(p, stack.table);
    assert.deepEqual(table.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(table.AttributeDefinitions, [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    assert.deepEqual(stack.topology.tableKeys, { partitionKey: 'pk', sortKey: 'sk' });
    assert.equal(table.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(table.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(table.TableName, undefined);
  });
});
