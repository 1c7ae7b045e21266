/**
 * S3's ETag arithmetic: the MD5 of a body put whole, or of its parts' MD5s then `-<parts>` for a
 * multipart upload.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { createHash } from 'node:crypto';

/** Parts of 8 MiB: over S3's 5 MiB minimum, under the local emulator's 11 MiB request limit. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export function md5(bytes: Buffer): Buffer {
  return createHash('md5').update(bytes).digest();
}

/** A multipart object's ETag from its parts' MD5s, in part order. */
export function multipartEtag(partDigests: readonly Buffer[]): string {
  return `${md5(Buffer.concat(partDigests)).toString('hex')}-${partDigests.length}`;
}

/** The ETag S3 gives a body uploaded in `partSize` parts: its MD5 when it fits in one part. */
export function expectedEtag(body: Buffer, partSize = DEFAULT_PART_SIZE): string {
  if (body.length <= partSize) return md5(body).toString('hex');
  const digests: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += partSize) {
    digests.push(md5(body.subarray(offset, offset + partSize)));
  }
  return multipartEtag(digests);
}

/** S3 quotes ETags in its answers; pixelmill keeps them bare. */
export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replaceAll('"', '');
}
