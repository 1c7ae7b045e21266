/**
 * Uploads input files to the uploads bucket. An object that is already there with the same
 * content (same ETag) is not uploaded again: re-running after an interruption sends only what is
 * missing, and raises no second event for what was sent.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { expectedEtag, type ObjectStore } from '../aws/object-store.ts';
import type { InputFile } from './inputs.ts';
import { mapPool } from './pool.ts';

export interface UploadedInput {
  readonly input: InputFile;
  readonly etag: string;
  readonly versionId?: string | undefined;
  readonly size: number;
  /** True when the same content was already in the bucket. */
  readonly alreadyThere: boolean;
}

/** A hint for whoever downloads the original; pixelmill itself trusts only the bytes. */
const contentTypeByExtension: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

export async function uploadInputs(
  store: ObjectStore,
  bucket: string,
  inputs: readonly InputFile[],
  options: { concurrency: number; onUploaded?: (uploaded: UploadedInput) => void },
): Promise<UploadedInput[]> {
  return mapPool(inputs, options.concurrency, async (input) => {
    const body = await readFile(input.absolutePath);
    const etag = expectedEtag(body);
    const head = await store.head(bucket, input.key);
    let uploaded: UploadedInput;
    if (head && head.etag === etag) {
      uploaded = { input, etag, versionId: head.versionId, size: body.length, alreadyThere: true };
    } else {
      const contentType = contentTypeByExtension[extname(input.key).toLowerCase()];
      const result = await store.upload(
        bucket,
        input.key,
        body,
        contentType ? { contentType } : {},
      );
      uploaded = {
        input,
        etag: result.etag,
        versionId: result.versionId,
        size: body.length,
        alreadyThere: false,
      };
    }
    options.onUploaded?.(uploaded);
    return uploaded;
  });
}
