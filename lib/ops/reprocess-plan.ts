/**
 * What `pixelmill reprocess` would do to bring an archive up to a target config, decided per
 * object version from its rows alone (nothing is read from the objects):
 *
 *   up to date    a DONE or REJECTED row under the target config: its outcome under it is known
 *   in progress   a row under the target config that a worker holds or will retry: left alone
 *   to reprocess  no such row (or a FAILED one): one work item; the presets it lacks are those of
 *                 the target config whose preset hash no DONE row of that version has rendered
 *                 (an unchanged preset keeps its rendition key, lib/pipeline/rendition-keys.ts,
 *                 so a worker that reuses renditions renders only the rest)
 *
 * Estimated CPU: a version's recorded `cpuMs` (its DONE row's decode and encode, measured in its
 * pixel process) scaled by the share of presets it lacks, presets to render ÷ presets that row
 * rendered; a version with no such row counts at the mean cost per preset of those that have one.
 * `fullSeconds` is the same estimate had every target preset to be rendered again (a worker that
 * does not reuse renditions, or a changed output policy).
 */
import type { PixelmillConfig } from '../../events/config/schema.ts';
import type { ImageRow } from '../../events/image-row.ts';
import { configHash, presetHash } from '../config/parse.ts';
import type { OperatorContext } from './operator-context.ts';
import { walkVersions } from './reprocess-walk.ts';

export interface TargetPreset {
  readonly name: string;
  readonly hash: string;
  /** Renditions it makes per image (one per output format). */
  readonly formats: number;
}

export function targetPresets(config: PixelmillConfig): TargetPreset[] {
  return config.presets.map((p) => ({
    name: p.name,
    hash: presetHash(p, config),
    formats: p.formats.length,
  }));
}

export type VersionDecision =
  | { readonly kind: 'up-to-date'; readonly row: ImageRow }
  | { readonly kind: 'in-progress'; readonly row: ImageRow }
  | {
      readonly kind: 'reprocess';
      /** Target presets no DONE row of this version has rendered. */
      readonly missing: readonly TargetPreset[];
      /** A DONE row with measured CPU: its `cpuMs` and the presets it rendered. */
      readonly measured?: { readonly cpuMs: number; readonly presets: number } | undefined;
      /** The S3 sequencer its rows recorded ("0" when none: as a backfill sends it). */
      readonly sequencer: string;
      /** No DONE row, a REJECTED one: likely rejected again (limits and input policy decide). */
      readonly rejectedBefore: boolean;
    };

/** The decision for one version (see the module comment). */
export function decideVersion(
  rows: readonly ImageRow[],
  hash: string,
  presets: readonly TargetPreset[],
): VersionDecision {
  const target = rows.find((r) => r.configHash === hash);
  if (target?.status === 'DONE' || target?.status === 'REJECTED')
    return { kind: 'up-to-date', row: target };
  if (target && target.status !== 'FAILED') return { kind: 'in-progress', row: target };
  const rendered = new Set<string>();
  let measured: { cpuMs: number; presets: number } | undefined;
  for (const row of rows) {
    if (row.status !== 'DONE') continue;
    const hashes = new Set((row.renditions ?? []).map((r) => r.presetHash));
    for (const h of hashes) rendered.add(h);
    if (typeof row.cpuMs === 'number' && hashes.size > 0 && !measured)
      measured = { cpuMs: row.cpuMs, presets: hashes.size };
  }
  return {
    kind: 'reprocess',
    missing: presets.filter((p) => !rendered.has(p.hash)),
    measured,
    sequencer: rows.find((r) => r.sequencer)?.sequencer ?? '0',
    rejectedBefore:
      !rows.some((r) => r.status === 'DONE') && rows.some((r) => r.status === 'REJECTED'),
  };
}

export interface PresetPlan {
  readonly name: string;
  readonly hash: string;
  /** Images that lack it. */
  readonly images: number;
  /** Renditions to render for it (images × its formats). */
  readonly renditions: number;
}

export interface ReprocessPlan {
  readonly configHash: string;
  /** The key prefix walked (under the uploads prefix). */
  readonly prefix: string;
  /** Object versions under the prefix. */
  readonly versions: number;
  readonly toReprocess: number;
  readonly upToDate: number;
  readonly inProgress: number;
  /** Images to reprocess that lack no preset (only their row under the target config). */
  readonly rowOnly: number;
  /** Images to reprocess whose only outcome so far is REJECTED (counted in the presets too). */
  readonly rejectedBefore: number;
  readonly presets: readonly PresetPlan[];
  readonly renditions: number;
  readonly cpu: {
    /** Estimated CPU seconds to render what is lacking; null when no row recorded any. */
    readonly seconds: number | null;
    /** The same if every target preset of those images were rendered again. */
    readonly fullSeconds: number | null;
    /** Images estimated from their own row, and from the mean per preset. */
    readonly measuredImages: number;
    readonly averagedImages: number;
  };
  readonly ratePerSecond: number;
  /** Images to reprocess ÷ the rate: how long enqueueing them takes. */
  readonly enqueueSeconds: number;
}

/** Walks the prefix and sums the decisions. */
export async function planReprocess(
  ctx: OperatorContext,
  config: PixelmillConfig,
  options: { readonly prefix: string; readonly ratePerSecond: number },
): Promise<ReprocessPlan> {
  const hash = configHash(config);
  const presets = targetPresets(config);
  const perPreset = new Map(presets.map((p) => [p.hash, 0]));
  const n = {
    versions: 0,
    toReprocess: 0,
    upToDate: 0,
    inProgress: 0,
    rowOnly: 0,
    rejectedBefore: 0,
  };
  /** CPU of images with a measured row (ms, per preset they rendered), and of the rest (presets). */
  const measured = { ms: 0, fullMs: 0, images: 0, presets: 0, cpuMs: 0 };
  const averaged = { missing: 0, full: 0 };
  for await (const walked of walkVersions(ctx, options.prefix)) {
    for (const v of walked.versions) {
      n.versions++;
      const d = decideVersion(v.rows, hash, presets);
      if (d.kind === 'up-to-date') n.upToDate++;
      else if (d.kind === 'in-progress') n.inProgress++;
      else {
        n.toReprocess++;
        if (d.missing.length === 0) n.rowOnly++;
        if (d.rejectedBefore) n.rejectedBefore++;
        for (const p of d.missing) perPreset.set(p.hash, (perPreset.get(p.hash) ?? 0) + 1);
        if (d.measured) {
          const perPresetMs = d.measured.cpuMs / d.measured.presets;
          measured.ms += perPresetMs * d.missing.length;
          measured.fullMs += perPresetMs * presets.length;
          measured.images++;
          measured.presets += d.measured.presets;
          measured.cpuMs += d.measured.cpuMs;
        } else {
          averaged.missing += d.missing.length;
          averaged.full += presets.length;
        }
      }
    }
  }
  const meanPerPresetMs = measured.presets > 0 ? measured.cpuMs / measured.presets : undefined;
  const seconds = (ms: number) => Math.round(ms) / 1000;
  const presetPlans = presets.map((p) => {
    const images = perPreset.get(p.hash) ?? 0;
    return { name: p.name, hash: p.hash, images, renditions: images * p.formats };
  });
  return {
    configHash: hash,
    prefix: options.prefix,
    ...n,
    presets: presetPlans,
    renditions: presetPlans.reduce((sum, p) => sum + p.renditions, 0),
    cpu: {
      seconds:
        meanPerPresetMs === undefined
          ? null
          : seconds(measured.ms + meanPerPresetMs * averaged.missing),
      fullSeconds:
        meanPerPresetMs === undefined
          ? null
          : seconds(measured.fullMs + meanPerPresetMs * averaged.full),
      measuredImages: measured.images,
      averagedImages: n.toReprocess - measured.images,
    },
    ratePerSecond: options.ratePerSecond,
    enqueueSeconds: Math.round((n.toReprocess / options.ratePerSecond) * 10) / 10,
  };
}
