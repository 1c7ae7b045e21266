/** S3 adapter: the calls pixelmill makes on its buckets, with errors in the adapter taxonomy. */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AwsAdapterError, toAdapterError } from './errors.ts';

export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
  /** Read exactly this version (versioned buckets). */
  readonly versionId?: string | undefined;
  /** Otherwise read only if the object still has this ETag: the event's content, not a newer one. */
  readonly etag?: string | undefined;
}

export interface ObjectHead {
  readonly etag: string;
  readonly size: number;
  readonly versionId?: string | undefined;
  readonly lastModified?: Date | undefined;
  readonly contentType?: string | undefined;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified?: Date | undefined;
}

/** The object is bigger than the caller will read. */
export class ObjectTooLargeError extends AwsAdapterError {
  override readonly name = 'ObjectTooLargeError';
}

/** Parts of 8 MiB: over S3's 5 MiB minimum, under the local emulator's 11 MiB request limit. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** The ETag S3 gives a body uploaded by `upload()`: MD5, or MD5 of part MD5s plus `-<parts>`. */
export function expectedEtag(body: Buffer, partSize = DEFAULT_PART_SIZE): string {
  if (body.length <= partSize) return createHash('md5').update(body).digest('hex');
  const digests: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += partSize) {
    digests.push(
      createHash('md5')
        .update(body.subarray(offset, offset + partSize))
        .digest(),
    );
  }
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
}

export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replaceAll('"', '');
}

export class ObjectStore {
  readonly #s3: S3Client;
  constructor(s3: S3Client) {
    this.#s3 = s3;
  }

  async getBytes(location: ObjectLocation, maxBytes: number): Promise<Buffer> {
    return (await this.getObject(location, maxBytes)).bytes;
  }

  /** The bytes and the Content-Type the uploader declared (a hint, never trusted). */
  async getObject(
    location: ObjectLocation,
    maxBytes: number,
  ): Promise<{ bytes: Buffer; contentType?: string | undefined }> {
    const operation = `GetObject s3://${location.bucket}/${location.key}`;
    try {
      const response = await this.#s3.send(
        new GetObjectCommand({
          Bucket: location.bucket,
          Key: location.key,
          ...(location.versionId ? { VersionId: location.versionId } : {}),
          ...(!location.versionId && location.etag ? { IfMatch: `"${location.etag}"` } : {}),
        }),
      );
      const length = response.ContentLength ?? 0;
      if (length > maxBytes) {
        response.Body?.transformToWebStream().cancel();
        throw new ObjectTooLargeError(operation, 'TooLarge', `${length} bytes > ${maxBytes}`, {
          transient: false,
        });
      }
      const bytes = await response.Body?.transformToByteArray();
      return {
        bytes: Buffer.from(bytes?.buffer ?? new ArrayBuffer(0), bytes?.byteOffset, bytes?.length),
        contentType: response.ContentType,
      };
    } catch (error) {
      throw toAdapterError(operation, error);
    }
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    try {
      const r = await this.#s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        etag: unquoteEtag(r.ETag),
        size: r.ContentLength ?? 0,
        versionId: r.VersionId,
        lastModified: r.LastModified,
        contentType: r.ContentType,
      };
    } catch (error) {
      const adapted = toAdapterError(`HeadObject s3://${bucket}/${key}`, error);
      if (adapted.name === 'ObjectNotFoundError') return undefined;
      throw adapted;
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Buffer | Readable,
    options: { contentType?: string; contentLength?: number; cacheControl?: string } = {},
  ): Promise<{ etag: string; versionId?: string | undefined }> {
    try {
      const r = await this.#s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          ContentLength: options.contentLength,
          CacheControl: options.cacheControl,
        }),
      );
      return { etag: unquoteEtag(r.ETag), versionId: r.VersionId };
    } catch (error) {
      throw toAdapterError(`PutObject s3://${bucket}/${key}`, error);
    }
  }

  /**
   * Uploads a whole body, in parts when it is larger than `partSize` (S3 takes at most 5 GiB in
   * one PutObject; the local emulator takes 11 MiB per request).
   */
  async upload(
    bucket: string,
    key: string,
    body: Buffer,
    options: { contentType?: string; partSize?: number } = {},
  ): Promise<{ etag: string; versionId?: string | undefined }> {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (body.length <= partSize) {
      return this.put(bucket, key, body, {
        contentType: options.contentType,
        contentLength: body.length,
      });
    }
    const operation = `MultipartUpload s3://${bucket}/${key}`;
    let uploadId: string | undefined;
    try {
      const created = await this.#s3.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ContentType: options.contentType,
        }),
      );
      uploadId = created.UploadId;
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let offset = 0, n = 1; offset < body.length; offset += partSize, n++) {
        const chunk = body.subarray(offset, offset + partSize);
        const r = await this.#s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            Body: chunk,
            ContentLength: chunk.length,
          }),
        );
        parts.push({ ETag: r.ETag ?? '', PartNumber: n });
      }
      const done = await this.#s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { etag: unquoteEtag(done.ETag), versionId: done.VersionId };
    } catch (error) {
      if (uploadId) {
        await this.#s3
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      throw toAdapterError(operation, error);
    }
  }

  async *list(bucket: string, prefix: string): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (error) {
        throw toAdapterError(`ListObjectsV2 s3://${bucket}/${prefix}`, error);
      }
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield {
          key: item.Key,
          size: item.Size ?? 0,
          etag: unquoteEtag(item.ETag),
          lastModified: item.LastModified,
        };
      }
      token = page.NextContinuationToken;
    } while (token);
  }

  /**
   * Every object version under a prefix (delete markers skipped). Buckets without versioning list
   * versions with the id "null", reported here as no version id. The local emulator answers
   * ListObjectVersions as a plain listing (no Versions element at all), so a first page with
   * neither versions nor delete markers falls back to ListObjectsV2.
   */
  async *listVersions(
    bucket: string,
    prefix: string,
  ): AsyncGenerator<ListedObject & { versionId?: string | undefined }> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    let first = true;
    do {
      let page: ListObjectVersionsCommandOutput;
      try {
        page = await this.#s3.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionMarker,
          }),
        );
      } catch (error) {
        throw toAdapterError(`ListObjectVersions s3://${bucket}/${prefix}`, error);
      }
      if (first && page.Versions === undefined && page.DeleteMarkers === undefined) {
        yield* this.list(bucket, prefix);
        return;
      }
      first = false;
      for (const v of page.Versions ?? []) {
        if (v.Key === undefined) continue;
        yield {
          key: v.Key,
          size: v.Size ?? 0,
          etag: unquoteEtag(v.ETag),
          lastModified: v.LastModified,
          versionId: v.VersionId && v.VersionId !== 'null' ? v.VersionId : undefined,
        };
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
  }

  async ensureBucket(bucket: string): Promise<void> {
    try {
      await this.#s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
      throw toAdapterError(`CreateBucket ${bucket}`, error);
    }
  }
}
