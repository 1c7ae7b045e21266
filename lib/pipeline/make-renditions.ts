/**
 * Fetch → render → store: the image work of one claimed object version. Throws
 * ImageRejectedError for anything that is the image's fault, anything else for SQS to retry.
 */

import type { PixelmillConfig } from '../../events/config/schema.ts';
import type { RenditionRecord } from '../../events/image-row.ts';
import type { WorkItem } from '../../events/work-item.ts';
import { ObjectNotFoundError } from '../aws/errors.ts';
import { type ObjectStore, ObjectTooLargeError } from '../aws/object-store.ts';
import { presetHash } from '../config/parse.ts';
import type { DeclaredType } from '../imaging/analyse.ts';
import { ImageRejectedError, type ImageUsage } from '../imaging/errors.ts';
import type { ImageAnalysis, RenderResult } from '../imaging/render.ts';
import { renditionKey } from './rendition-keys.ts';

/** Cache-Control for renditions: their keys change whenever their content could. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Turns the source's bytes into renditions: the pixel pool's `render` (imaging/pool), which holds
 * the image to its CPU and memory limits in a process of its own.
 */
export type ImageRenderer = (
  input: Buffer,
  declared: DeclaredType,
  /** Abandons the image: out of the pool's queue, or its process killed if it is rendering. */
  signal?: AbortSignal,
) => Promise<RenderResult>;

export interface MadeRenditions {
  readonly renditions: readonly RenditionRecord[];
  readonly analysis: ImageAnalysis;
  readonly usage?: ImageUsage | undefined;
  /** The bytes written, by rendition key (handed to whoever follows outcomes in-process). */
  readonly stored: ReadonlyMap<string, Buffer>;
}

async function fetchSource(
  store: ObjectStore,
  item: WorkItem,
  version: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Buffer; contentType?: string | undefined }> {
  if (item.size > maxBytes) {
    throw new ImageRejectedError(
      'byte-limit',
      `The object has ${item.size} bytes, over the limit of ${maxBytes}`,
    );
  }
  try {
    return await store.getObject(
      { bucket: item.bucket, key: item.key, versionId: item.versionId, etag: item.etag },
      maxBytes,
      signal,
    );
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new ImageRejectedError(
        'not-found',
        `s3://${item.bucket}/${item.key} (version ${version}) no longer exists`,
        { cause: error },
      );
    }
    if (error instanceof ObjectTooLargeError) {
      throw new ImageRejectedError('byte-limit', error.message, { cause: error });
    }
    throw error;
  }
}

export async function makeRenditions(
  deps: {
    store: ObjectStore;
    config: PixelmillConfig;
    renditionsBucket: string;
    render: ImageRenderer;
  },
  item: WorkItem,
  version: string,
  /** Once aborted, nothing more is fetched, rendered or written: the S3 calls in flight fail. */
  signal?: AbortSignal,
): Promise<MadeRenditions> {
  const source = await fetchSource(deps.store, item, version, deps.config.limits.maxBytes, signal);
  signal?.throwIfAborted();
  const extension = /\.([A-Za-z0-9]{1,5})$/.exec(item.key)?.[1]?.toLowerCase();
  const result = await deps.render(
    source.bytes,
    { extension, contentType: source.contentType },
    signal,
  );
  signal?.throwIfAborted();
  const presets = new Map(deps.config.presets.map((p) => [p.name, p]));
  const renditions = await Promise.all(
    result.renditions.map(async (r): Promise<RenditionRecord> => {
      const preset = presets.get(r.presetName);
      if (!preset) throw new Error(`rendition for unknown preset ${r.presetName}`);
      const key = renditionKey({ key: item.key, version }, preset, r.format, deps.config);
      await deps.store.put(deps.renditionsBucket, key, r.data, {
        contentType: r.contentType,
        contentLength: r.data.length,
        cacheControl: IMMUTABLE,
        signal,
      });
      return {
        name: r.presetName,
        format: r.format,
        width: r.width,
        height: r.height,
        bytes: r.data.length,
        key,
        presetHash: presetHash(preset, deps.config),
        ...(r.note ? { note: r.note } : {}),
      };
    }),
  );
  const stored = new Map(
    result.renditions.map((r, i) => [renditions[i]?.key ?? '', r.data] as const),
  );
  return { renditions, analysis: result.analysis, usage: result.usage, stored };
}
