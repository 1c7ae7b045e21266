/**
 * One S3 object version, as S3 names it: what an upload event, a work item and an audit listing
 * each describe. `versionId` is absent in an unversioned bucket (and then `etag` tells versions
 * apart). https://docs.aws.amazon.com/AmazonS3/latest/userguide/versioning-workflows.html
 */
export interface ObjectVersion {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string | undefined;
}
