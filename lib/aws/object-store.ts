/** S3 adapter: the calls pixelmill makes on its buckets, with errors in the adapter taxonomy. */
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { AwsAdapterError, adapted, toAdapterError } from './errors.ts';
import { DEFAULT_PART_SIZE, md5, unquoteEtag } from './etag.ts';
import { PartReader, uploadParts } from './multipart-upload.ts';

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

export class ObjectStore {
  readonly #s3: S3Client;
  constructor(s3: S3Client) {
    this.#s3 = s3;
  }

  async getBytes(location: ObjectLocation, maxBytes: number): Promise<Buffer> {
    return (await this.getObject(location, maxBytes)).bytes;
  }

  /*
   * `signal` (where taken) cancels the call: SDK v3's `abortSignal` on `send` fails it with an
   * AbortError, before it is sent or while it is on the wire, so work abandoned at a deadline
   * writes nothing after it. https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-smithy-types/Interface/HttpHandlerOptions/
   */

  /** The bytes and the Content-Type the uploader declared (a hint, never trusted). */
  async getObject(
    location: ObjectLocation,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; contentType?: string | undefined }> {
    const operation = `GetObject s3://${location.bucket}/${location.key}`;
    return adapted(operation, async () => {
      const response = await this.#s3.send(
        new GetObjectCommand({
          Bucket: location.bucket,
          Key: location.key,
          ...(location.versionId ? { VersionId: location.versionId } : {}),
          ...(!location.versionId && location.etag ? { IfMatch: `"${location.etag}"` } : {}),
        }),
        { abortSignal: signal },
      );
      const length = response.ContentLength ?? 0;
      if (length > maxBytes) {
        response.Body?.transformToWebStream().cancel();
        throw new ObjectTooLargeError(operation, 'TooLarge', `${length} bytes > ${maxBytes}`);
      }
      signal?.throwIfAborted();
      const bytes = await response.Body?.transformToByteArray();
      return {
        bytes: Buffer.from(bytes?.buffer ?? new ArrayBuffer(0), bytes?.byteOffset, bytes?.length),
        contentType: response.ContentType,
      };
    });
  }

  /**
   * The object's body as a stream, for reading a big object a chunk at a time (an S3 Inventory
   * file): the caller consumes or destroys it. Errors while streaming surface on the stream.
   */
  async getStream(bucket: string, key: string): Promise<Readable> {
    const operation = `GetObject s3://${bucket}/${key}`;
    return adapted(operation, async () => {
      const response = await this.#s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      // In Node.js the SDK's body is an http.IncomingMessage (a Readable).
      return response.Body as Readable;
    });
  }

  /** The object (or its version `versionId`); undefined when there is none. */
  async head(
    bucket: string,
    key: string,
    versionId?: string | undefined,
    signal?: AbortSignal,
  ): Promise<ObjectHead | undefined> {
    try {
      const r = await this.#s3.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
        { abortSignal: signal },
      );
      return {
        etag: unquoteEtag(r.ETag),
        size: r.ContentLength ?? 0,
        versionId: r.VersionId,
        lastModified: r.LastModified,
        contentType: r.ContentType,
      };
    } catch (error) {
      const failure = toAdapterError(`HeadObject s3://${bucket}/${key}`, error);
      if (failure.name === 'ObjectNotFoundError') return undefined;
      throw failure;
    }
  }

  async put(
    bucket: string,
    key: string,
    body: Buffer | Readable,
    options: {
      contentType?: string | undefined;
      contentLength?: number;
      cacheControl?: string;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<{ etag: string; versionId?: string | undefined }> {
    return adapted(`PutObject s3://${bucket}/${key}`, async () => {
      const r = await this.#s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          ContentLength: options.contentLength,
          CacheControl: options.cacheControl,
        }),
        { abortSignal: options.signal },
      );
      return { etag: unquoteEtag(r.ETag), versionId: r.VersionId };
    });
  }

  /**
   * Server-side copy, metadata too (CopySource URL-encoded); ObjectNotFoundError if `from` is gone.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
   */
  async copy(from: ObjectLocation, to: ObjectLocation, signal?: AbortSignal): Promise<void> {
    const source = `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`;
    const command = new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source });
    try {
      await this.#s3.send(command, { abortSignal: signal });
    } catch (error) {
      throw toAdapterError(`CopyObject s3://${from.bucket}/${from.key} → ${to.key}`, error);
    }
  }

  /**
   * Uploads a body read from a stream, holding at most `partsAtOnce` parts in memory: one
   * PutObject when it fits in a part, a multipart upload otherwise. With `unlessSame`, an object
   * already at the key with the ETag this upload would give is left alone (a multipart upload is
   * aborted before completion), so re-sending the same content raises no second event and makes
   * no second version. The ETag is only known once the whole body has been read, which is why
   * the check comes last. `unlessSame` as a string is the ETag already known to be at the key (no
   * HEAD is made), `null` that nothing is known to be there.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
   */
  async uploadStream(
    bucket: string,
    key: string,
    body: AsyncIterable<Buffer>,
    options: {
      contentType?: string | undefined;
      partSize?: number;
      partsAtOnce?: number;
      unlessSame?: boolean | string | null;
    } = {},
  ): Promise<{
    etag: string;
    versionId?: string | undefined;
    bytes: number;
    alreadyThere: boolean;
  }> {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    const reader = new PartReader(body, partSize);
    const same = async (etag: string) => {
      const known = options.unlessSame;
      if (known === true) return (await this.head(bucket, key))?.etag === etag;
      return typeof known === 'string' && known === etag;
    };

    const first = (await reader.next()) ?? Buffer.alloc(0);
    const second = await reader.next();
    if (!second) {
      // Hashed only to compare: nothing to compare with (a key known to be absent), the PUT's
      // ETag is the answer.
      if (options.unlessSame === true || typeof options.unlessSame === 'string') {
        const etag = md5(first).toString('hex');
        if (await same(etag)) return { etag, bytes: first.length, alreadyThere: true };
      }
      const put = await this.put(bucket, key, first, {
        contentType: options.contentType,
        contentLength: first.length,
      });
      return { ...put, bytes: first.length, alreadyThere: false };
    }
    const request = {
      bucket,
      key,
      contentType: options.contentType,
      partsAtOnce: Math.max(1, options.partsAtOnce ?? 4),
      same,
    };
    try {
      return await uploadParts(this.#s3, request, [first, second], reader);
    } catch (error) {
      if (reader.bodyFailed || error instanceof AwsAdapterError) throw error;
      throw toAdapterError(`MultipartUpload s3://${bucket}/${key}`, error);
    }
  }

  /** Every object under a prefix, in key order; with `startAfter`, only keys after it. */
  async *list(
    bucket: string,
    prefix: string,
    options: { startAfter?: string | undefined } = {},
  ): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ContinuationToken: token,
            ...(token ? {} : { StartAfter: options.startAfter }),
          }),
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
    options: {
      startAfter?: string | undefined;
      /**
       * With startAfter: resume after this version of that key (the versions of one key are
       * listed newest first); "null" names a version written while versioning was off.
       */
      versionIdMarker?: string | undefined;
    } = {},
  ): AsyncGenerator<ListedObject & { versionId?: string | undefined; isLatest: boolean }> {
    let keyMarker: string | undefined = options.startAfter;
    let versionMarker: string | undefined = options.startAfter
      ? options.versionIdMarker
      : undefined;
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
        for await (const o of this.list(bucket, prefix, options)) yield { ...o, isLatest: true };
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
          isLatest: v.IsLatest === true,
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
