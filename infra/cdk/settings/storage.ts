/** The buckets' and table's lifecycle: what happens to old upload versions and on stack removal. */
import type { RemovalPolicy, aws_s3 as s3 } from 'aws-cdk-lib';
import { IMAGE_PIPELINE_DEFAULTS, type ImagePipelineProps } from '../image-pipeline-props.ts';
import type { Problems } from './problems.ts';

export interface ResolvedStorage {
  readonly uploadsBucket: s3.IBucket | undefined;
  readonly noncurrentVersionExpirationDays: number;
  readonly removalPolicy: RemovalPolicy;
}

type StorageProps = Pick<
  ImagePipelineProps,
  'uploadsBucket' | 'noncurrentVersionExpirationDays' | 'removalPolicy'
>;

export function resolveStorage(props: StorageProps, problems: Problems): ResolvedStorage {
  const noncurrentVersionExpirationDays =
    props.noncurrentVersionExpirationDays ??
    IMAGE_PIPELINE_DEFAULTS.noncurrentVersionExpirationDays;
  problems.int('noncurrentVersionExpirationDays', noncurrentVersionExpirationDays, 1, 3650);
  if (props.uploadsBucket !== undefined && props.noncurrentVersionExpirationDays !== undefined) {
    problems.add(
      'noncurrentVersionExpirationDays applies to the uploads bucket the construct creates; ' +
        'with your own uploadsBucket its lifecycle is yours',
    );
  }
  return {
    uploadsBucket: props.uploadsBucket,
    noncurrentVersionExpirationDays,
    removalPolicy: props.removalPolicy ?? IMAGE_PIPELINE_DEFAULTS.removalPolicy,
  };
}
