/**
 * The one multipart upload: a body read from a stream, cut into parts, at most `partsAtOnce`
 * of them in memory and in flight. The ETag S3 will give is computed as the parts go, so an
 * upload of content already at the key can be aborted before it completes (no second event, no
 * second version).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { TaskPool } from '../async/pool.ts';
import { md5, multipartEtag, unquoteEtag } from './etag.ts';

/**
 * A body cut into parts of `partSize` bytes as it is read. An error reading the body (the
 * caller's: a limit, a broken archive) is remembered, so it is passed on as it is.
 */
export class PartReader {
  readonly #iterator: AsyncIterator<Buffer>;
  readonly #partSize: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #ended = false;
  bodyFailed = false;

  constructor(body: AsyncIterable<Buffer>, partSize: number) {
    this.#iterator = body[Symbol.asyncIterator]();
    this.#partSize = partSize;
  }

  /** The next part's bytes, or undefined at the end of the body. */
  async next(): Promise<Buffer | undefined> {
    while (!this.#ended && this.#pendingBytes < this.#partSize) {
      const r = await this.#iterator.next().catch((error: unknown) => {
        this.bodyFailed = true;
        throw error;
      });
      if (r.done) this.#ended = true;
      else {
        this.#pending.push(r.value);
        this.#pendingBytes += r.value.length;
      }
    }
    if (this.#pendingBytes === 0) return undefined;
    const all = Buffer.concat(this.#pending, this.#pendingBytes);
    const part = all.subarray(0, Math.min(this.#partSize, all.length));
    const rest = all.subarray(part.length);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return part;
  }
}

export interface MultipartRequest {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string | undefined;
  readonly partsAtOnce: number;
  /** Whether an object with this ETag is already at the key: the upload is then aborted. */
  readonly same: (etag: string) => Promise<boolean>;
}

/**
 * Uploads `parts` (the first ones already read) as one multipart upload. Any failure aborts the
 * upload, so no parts are left behind to be billed; the error is thrown as it came.
 */
export async function uploadParts(
  s3: S3Client,
  request: MultipartRequest,
  firstParts: readonly Buffer[],
  reader: PartReader,
): Promise<{ etag: string; versionId?: string | undefined; bytes: number; alreadyThere: boolean }> {
  const { bucket, key } = request;
  let uploadId: string | undefined;
  try {
    const created = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        ContentType: request.contentType,
      }),
    );
    uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error('CreateMultipartUpload answered no UploadId');
    const id = uploadId;
    const digests: Buffer[] = [];
    const parts: { ETag: string; PartNumber: number }[] = [];
    const pool = new TaskPool(request.partsAtOnce);
    let bytes = 0;
    const send = (chunk: Buffer, n: number) => {
      digests[n - 1] = md5(chunk);
      bytes += chunk.length;
      void pool.run(async () => {
        const r = await s3.send(
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
      });
    };
    let n = 1;
    for (const part of firstParts) {
      send(part, n++);
      await pool.below();
    }
    for (let part = await reader.next(); part; part = await reader.next()) {
      send(part, n++);
      await pool.below();
    }
    await pool.idle();
    const etag = multipartEtag(digests);
    if (await request.same(etag)) {
      await abort(s3, bucket, key, id);
      return { etag, bytes, alreadyThere: true };
    }
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return {
      etag: unquoteEtag(done.ETag),
      versionId: done.VersionId,
      bytes,
      alreadyThere: false,
    };
  } catch (error) {
    if (uploadId) await abort(s3, bucket, key, uploadId);
    throw error;
  }
}

async function abort(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  await s3
    .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
    .catch(() => undefined);
}
