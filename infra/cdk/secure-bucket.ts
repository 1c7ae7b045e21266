/**
 * The S3 defaults every pixelmill bucket gets: encrypted at rest, no public access, requests over
 * TLS only, ACLs off. Physical names are left to CloudFormation (bucket names are global); the
 * CLI reads them from the stack outputs.
 *
 * - Block Public Access: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
 * - TLS only (aws:SecureTransport): https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
 * - Object Ownership, ACLs disabled: https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
 *
 * Props can add to these (versioning, lifecycle, access logs); nothing here can be turned off.
 */
import { aws_s3 as s3 } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export type SecureBucketProps = Pick<
  s3.BucketProps,
  | 'versioned'
  | 'eventBridgeEnabled'
  | 'lifecycleRules'
  | 'serverAccessLogsBucket'
  | 'serverAccessLogsPrefix'
  | 'removalPolicy'
>;

export function createSecureBucket(
  scope: Construct,
  id: string,
  props: SecureBucketProps = {},
): s3.Bucket {
  return new s3.Bucket(scope, id, {
    ...props,
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  });
}
