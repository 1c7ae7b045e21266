/**
 * The image work of one claimed object version, each rendition made the cheapest way it can be:
 *
 *   1. reused: this version is DONE under another config and the preset's hash is unchanged
 *      (same key, object there: reused-renditions.ts) — no fetch, decode, encode or PUT;
 *   2. copied: the source's SHA-256 is that of an image DONE under this config (a server-side
 *      copy of its rendition: duplicate-copies.ts) — no decode or encode;
 *   3. rendered: every preset left, from one decode in the pixel pool, then PUT.
 *
 * When nothing is left after 1, the source is not even fetched: the image's facts (size, format,
 * bytes, analysis) come from the donor row. Throws ImageRejectedError for anything that is the
 * image's fault, anything else for SQS to retry.
 */
import { createHash } from 'node:crypto';
import type { Preset } from '../../events/config/schema.ts';
import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import type { WorkItem } from '../../events/work-item.ts';
import type { RowKey } from '../aws/image-table.ts';
import { presetHash } from '../config/parse.ts';
import { type DeclaredType, declaredFacts } from '../imaging/analyse.ts';
import type { ImageUsage } from '../imaging/errors.ts';
import type { RenderResult } from '../imaging/render.ts';
import { copyFromDuplicate } from './duplicate-copies.ts';
import { fetchSource } from './fetch-source.ts';
import { renditionKey } from './rendition-keys.ts';
import { acceptedBy, findReusable, type ReuseDeps } from './reused-renditions.ts';

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
  /** Only these presets (by name), from one decode. @default every preset */
  presets?: readonly string[],
) => Promise<RenderResult>;

/** What a DONE row records of the image itself. */
export interface ImageFacts {
  readonly width: number;
  readonly height: number;
  readonly format: string;
  readonly bytes: number;
  readonly analysis: Readonly<Record<string, unknown>>;
}

export interface MadeRenditions {
  readonly renditions: readonly RenditionRecord[];
  readonly image: ImageFacts;
  /** The pixel process's cost, when anything was rendered. */
  readonly usage?: ImageUsage | undefined;
  /** The bytes written, by rendition key (handed to whoever follows outcomes in-process). */
  readonly stored: ReadonlyMap<string, Buffer>;
  /** The source's SHA-256 (undefined when it was not fetched and the donor row had none). */
  readonly sha256?: string | undefined;
  /** Every rendition not reused is a copy of this exact duplicate's. */
  readonly duplicateOf?: RowKey | undefined;
  /** The exact duplicate the content index named, whose renditions were gone. */
  readonly brokenDonor?: RowKey | undefined;
}

export interface MakeDeps extends ReuseDeps {
  readonly render: ImageRenderer;
}

/** A DONE row's facts, when it has them all. */
function factsOf(row: ImageRow | undefined): ImageFacts | undefined {
  if (!row) return undefined;
  const { width, height, format, bytes, analysis } = row;
  if (width === undefined || height === undefined || format === undefined) return undefined;
  if (bytes === undefined || analysis === undefined) return undefined;
  return { width, height, format, bytes, analysis };
}

/** What the upload's key and Content-Type say it is. */
function declaredOf(item: WorkItem, source: { contentType?: string | undefined }): DeclaredType {
  const extension = /\.([A-Za-z0-9]{1,5})$/.exec(item.key)?.[1]?.toLowerCase();
  return { extension, contentType: source.contentType };
}

/** Renders `presets` (every preset: no subset) and PUTs each rendition. */
async function renderAndStore(
  deps: MakeDeps,
  source: { bytes: Buffer; contentType?: string | undefined },
  item: WorkItem,
  version: string,
  presets: readonly Preset[],
  signal: AbortSignal | undefined,
) {
  const subset = presets.length < deps.config.presets.length;
  const result = await deps.render(
    source.bytes,
    declaredOf(item, source),
    signal,
    subset ? presets.map((p) => p.name) : undefined,
  );
  signal?.throwIfAborted();
  const byName = new Map(presets.map((p) => [p.name, p]));
  const stored = new Map<string, Buffer>();
  const renditions = await Promise.all(
    result.renditions.map(async (r): Promise<RenditionRecord> => {
      const preset = byName.get(r.presetName);
      if (!preset) throw new Error(`rendition for unasked preset ${r.presetName}`);
      const key = renditionKey({ key: item.key, version }, preset, r.format, deps.config);
      await deps.store.put(deps.renditionsBucket, key, r.data, {
        contentType: r.contentType,
        contentLength: r.data.length,
        cacheControl: IMMUTABLE,
        signal,
      });
      stored.set(key, r.data);
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
  return { result, renditions, stored };
}

/** The renditions in the config's preset order (each preset's in the order they were made). */
function inPresetOrder(deps: MakeDeps, ...parts: (readonly RenditionRecord[])[]) {
  const all = parts.flat();
  return deps.config.presets.flatMap((p) => all.filter((r) => r.name === p.name));
}

export async function makeRenditions(
  deps: MakeDeps,
  item: WorkItem,
  version: string,
  own: RowKey,
  /** Once aborted, nothing more is fetched, rendered or written: the S3 calls in flight fail. */
  signal?: AbortSignal,
): Promise<MadeRenditions> {
  const reusable = await findReusable(deps, item, version, signal);
  let reused = [...reusable.byPreset.values()].flat();
  let left = deps.config.presets.filter((p) => !reusable.byPreset.has(p.name));
  const donorFacts = factsOf(reusable.donor);
  if (donorFacts && !acceptedBy(donorFacts, deps.config)) {
    // This config may reject what the donor's accepted: the render path decides.
    reused = [];
    left = [...deps.config.presets];
  } else if (left.length === 0 && donorFacts) {
    const sha256 = donorFacts.analysis.sha256;
    return {
      renditions: inPresetOrder(deps, reused),
      image: donorFacts,
      stored: new Map(),
      sha256: typeof sha256 === 'string' ? sha256 : undefined,
    };
  }
  if (left.length === 0) {
    // Every rendition is there, but not the image's facts: the render makes them.
    reused = [];
    left = [...deps.config.presets];
  }

  const source = await fetchSource(deps.store, item, version, deps.config.limits.maxBytes, signal);
  signal?.throwIfAborted();
  const sha256 = createHash('sha256').update(source.bytes).digest('hex');
  const copies = await copyFromDuplicate(deps, item, version, own, sha256, left, signal);
  let copied = [...(copies?.byPreset.values() ?? [])].flat();
  left = left.filter((p) => !copies?.byPreset.has(p.name));
  const brokenDonor = copies?.broken ? { pk: copies.donor.pk, sk: copies.donor.sk } : undefined;
  const donor = copies && !copies.broken ? copies.donor : undefined;
  const donorImage = factsOf(donor);
  if (left.length === 0 && donor && donorImage) {
    // The donor's analysis of the content, with what this upload's own name and type claim.
    const { declared: _declared, typeMismatch: _mismatch, ...content } = donorImage.analysis;
    const claims = declaredFacts(declaredOf(item, source), donorImage.format);
    return {
      renditions: inPresetOrder(deps, reused, copied),
      image: { ...donorImage, analysis: { ...content, ...claims } },
      stored: new Map(),
      sha256,
      duplicateOf: { pk: donor.pk, sk: donor.sk },
    };
  }
  if (left.length === 0) {
    // As above: without the donor's facts, the render makes them (and the copied renditions).
    copied = [];
    left = deps.config.presets.filter((p) => !reusable.byPreset.has(p.name));
  }
  const made = await renderAndStore(deps, source, item, version, left, signal);
  const { width, height, format, bytes, ...analysis } = made.result.analysis;
  return {
    renditions: inPresetOrder(deps, reused, copied, made.renditions),
    image: { width, height, format, bytes, analysis },
    usage: made.result.usage,
    stored: made.stored,
    sha256,
    brokenDonor,
  };
}
