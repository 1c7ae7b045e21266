/**
 * Per-preset reuse: a preset whose hash is unchanged makes the same rendition key for the same
 * object version under any config (rendition-keys.ts), so when this version is already DONE under
 * another config, the renditions of those presets are there already: no decode, no encode, no
 * PUT. They are not trusted blindly: each object is HEADed, and a preset with any rendition
 * missing or of another size (deleted, pruned) is rendered instead.
 */
import type { PixelmillConfig, Preset } from '../../events/config/schema.ts';
import type { ImageRow, RenditionRecord } from '../../events/image-row.ts';
import type { WorkItem } from '../../events/work-item.ts';
import type { ImageTable } from '../aws/image-table.ts';
import type { ObjectStore } from '../aws/object-store.ts';
import { presetHash } from '../config/parse.ts';
import { isOutputFormat, renditionKey } from './rendition-keys.ts';

export interface ReuseDeps {
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly config: PixelmillConfig;
  readonly configHash: string;
  readonly renditionsBucket: string;
}

export interface Reusable {
  /** Each reused preset's renditions (marked `reusedFrom`), by preset name. */
  readonly byPreset: ReadonlyMap<string, readonly RenditionRecord[]>;
  /** A DONE row of this version under another config: the image's facts when nothing is left. */
  readonly donor: ImageRow | undefined;
}

/**
 * Whether this config's input policy and limits accept the image a donor row describes. Reuse and
 * copies skip the decode that would check them, so a config that turned a format off or lowered
 * a limit must not take a donor's DONE for its own: such an image goes through the render path,
 * which checks it (and rejects it) as any other.
 */
export function acceptedBy(
  facts: {
    readonly format: string;
    readonly width: number;
    readonly height: number;
    readonly bytes: number;
  },
  config: PixelmillConfig,
): boolean {
  const { formats } = config.input;
  const { maxBytes, maxPixels, maxDimension } = config.limits;
  return (
    (formats as readonly string[]).includes(facts.format) &&
    facts.bytes <= maxBytes &&
    facts.width * facts.height <= maxPixels &&
    Math.max(facts.width, facts.height) <= maxDimension
  );
}

/** Strips what a record says about where it came from (it is stated afresh for this row). */
export function plainRecord(r: RenditionRecord): RenditionRecord {
  const { reusedFrom: _reused, copiedFrom: _copied, ...plain } = r;
  return plain;
}

/** The donor's renditions of `preset` when they are exactly what this config would write. */
export function renditionsOf(
  row: ImageRow,
  preset: Preset,
  config: PixelmillConfig,
): RenditionRecord[] | undefined {
  const hash = presetHash(preset, config);
  const found = (row.renditions ?? []).filter((r) => r.name === preset.name);
  if (found.length === 0 || found.some((r) => r.presetHash !== hash)) return undefined;
  // The same preset hash means the same formats, one rendition each.
  if (new Set(found.map((r) => r.format)).size !== preset.formats.length) return undefined;
  return found;
}

/** Whether every object is in the renditions bucket with the size its record says. */
async function allThere(
  deps: ReuseDeps,
  renditions: readonly RenditionRecord[],
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const heads = await Promise.all(
    renditions.map((r) => deps.store.head(deps.renditionsBucket, r.key, undefined, signal)),
  );
  return heads.every((h, i) => h !== undefined && h.size === renditions[i]?.bytes);
}

/** One Query on the version's rows, then a HEAD per rendition it would reuse. */
export async function findReusable(
  deps: ReuseDeps,
  item: WorkItem,
  version: string,
  signal: AbortSignal | undefined,
): Promise<Reusable> {
  const rows = await deps.table.versionRows(`${item.bucket}/${item.key}`, version);
  const donors = rows.filter((r) => r.status === 'DONE' && r.configHash !== deps.configHash);
  const byPreset = new Map<string, readonly RenditionRecord[]>();
  if (donors.length === 0) return { byPreset, donor: undefined };
  const source = { key: item.key, version };
  await Promise.all(
    deps.config.presets.map(async (preset) => {
      for (const donor of donors) {
        const found = renditionsOf(donor, preset, deps.config);
        // Keys are a function of version and preset: a record with another key is not ours.
        const same = found?.every(
          (r) =>
            isOutputFormat(r.format) &&
            r.key === renditionKey(source, preset, r.format, deps.config),
        );
        if (!found || !same || !(await allThere(deps, found, signal))) continue;
        byPreset.set(
          preset.name,
          found.map((r) => ({ ...plainRecord(r), reusedFrom: donor.configHash })),
        );
        return;
      }
    }),
  );
  return { byPreset, donor: donors[0] };
}
