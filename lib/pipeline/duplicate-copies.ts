/**
 * Exact duplicates: a source whose SHA-256 is that of an image already DONE under the same config
 * is not rendered again. The content index (lib/aws/image-table-content-index.ts) names the first
 * such row in one GetItem; each rendition this image still needs is a server-side copy of that
 * row's rendition to this image's own key. REJECTED rows are never donors (only a DONE row is
 * indexed, and the row is read back to be sure). A donor rendition that is gone (deleted, pruned)
 * is not linked to: its preset is rendered instead, and the donor is reported broken.
 */
import type { Preset } from '../../events/config/schema.ts';
import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import type { WorkItem } from '../../events/work-item.ts';
import { ObjectNotFoundError } from '../aws/errors.ts';
import type { RowKey } from '../aws/image-table.ts';
import { isOutputFormat, renditionKey } from './rendition-keys.ts';
import { acceptedBy, plainRecord, type ReuseDeps, renditionsOf } from './reused-renditions.ts';

export interface DuplicateCopies {
  /** The DONE row with the same content under this config. */
  readonly donor: ImageRow;
  /** Each copied preset's renditions (marked `copiedFrom`), by preset name. */
  readonly byPreset: ReadonlyMap<string, readonly RenditionRecord[]>;
  /** Some of the donor's renditions were gone: its presets are rendered, and nothing links to it. */
  readonly broken: boolean;
}

/** The source object of a rendition copy that is gone (not a missing bucket: that is transient). */
function sourceGone(error: unknown): boolean {
  return error instanceof ObjectNotFoundError && error.code !== 'NoSuchBucket';
}

/** Copies one preset's renditions; false when any donor object is gone. */
async function copyPreset(
  deps: ReuseDeps,
  found: readonly RenditionRecord[],
  preset: Preset,
  source: { key: string; version: string },
  signal: AbortSignal | undefined,
): Promise<RenditionRecord[] | undefined> {
  const copies: RenditionRecord[] = [];
  for (const r of found) {
    if (!isOutputFormat(r.format)) return undefined;
    const key = renditionKey(source, preset, r.format, deps.config);
    try {
      const bucket = deps.renditionsBucket;
      await deps.store.copy({ bucket, key: r.key }, { bucket, key }, signal);
    } catch (error) {
      if (sourceGone(error)) return undefined;
      throw error;
    }
    copies.push({ ...plainRecord(r), key, copiedFrom: r.key });
  }
  return copies;
}

/**
 * Copies the renditions of `presets` from the first DONE image with this content, if there is
 * one (and it is not this image's own row). Undefined when there is no donor.
 */
export async function copyFromDuplicate(
  deps: ReuseDeps,
  item: WorkItem,
  version: string,
  own: RowKey,
  sha256: string,
  presets: readonly Preset[],
  signal: AbortSignal | undefined,
): Promise<DuplicateCopies | undefined> {
  const donorKey = await deps.table.contents.donorOf(sha256, deps.configHash);
  if (!donorKey || (donorKey.pk === own.pk && donorKey.sk === own.sk)) return undefined;
  const donor = await deps.table.get(donorKey);
  if (donor?.status !== 'DONE' || donor.configHash !== deps.configHash) return undefined;
  if (donor.analysis?.sha256 !== sha256) return undefined;
  // Limits are not part of the config hash: one lowered since the donor was made must still
  // reject this upload (the render path checks it).
  const { format, width, height, bytes } = donor;
  const described = format !== undefined && width !== undefined && height !== undefined;
  if (!described || !acceptedBy({ format, width, height, bytes: bytes ?? 0 }, deps.config))
    return undefined;
  const source = { key: item.key, version };
  const byPreset = new Map<string, readonly RenditionRecord[]>();
  let broken = false;
  await Promise.all(
    presets.map(async (preset) => {
      const found = renditionsOf(donor, preset, deps.config);
      const copies = found && (await copyPreset(deps, found, preset, source, signal));
      if (copies) byPreset.set(preset.name, copies);
      else broken = true;
    }),
  );
  return { donor, byPreset, broken };
}
