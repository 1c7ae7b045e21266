/**
 * `reprocess --prune`: once an object version is up to date under the target config (a DONE or
 * REJECTED row under it), what other configs made of it goes: the rendition objects their rows
 * list that the target row does not (an unchanged preset keeps its key, so the target row lists
 * it and it stays), and those rows themselves, with the key's LATEST rows of other configs once
 * every version of the key is up to date.
 *
 * Why the rows go too: a DONE row promises that every rendition it lists exists (the guarantee
 * the audit proves), and a worker that reuses renditions trusts it; a row whose renditions were
 * deleted would be a false DONE to an audit or a worker under its config. Without it, that config
 * is simply new work again. The table's counts are rebuilt after (one scan, lib/ops/recount.ts),
 * so status no longer counts the deleted rows.
 *
 * A version not yet up to date, or with a row of another config a worker holds right now
 * (PROCESSING, RETRYING), is left whole and counted; run the prune again once the queue drained.
 */
import type { PixelmillConfig } from '../../events/config/schema.ts';
import type { ImageRow } from '../../events/image-row.ts';
import type { PruneWrites } from '../aws/prune-writes.ts';
import { configHash } from '../config/parse.ts';
import type { OperatorContext } from './operator-context.ts';
import { recountTable } from './recount.ts';
import { walkVersions } from './reprocess-walk.ts';

export interface PruneReport {
  readonly dryRun: boolean;
  /** Versions whose other configs' renditions and rows were (would be) deleted. */
  readonly prunedVersions: number;
  /** Versions left whole: not up to date under the target config, or held by a worker. */
  readonly skippedVersions: number;
  readonly deletedObjects: number;
  readonly deletedBytes: number;
  readonly deletedRows: number;
  /** The first few rendition keys deleted, as examples. */
  readonly examples: readonly string[];
  readonly recounted: boolean;
}

const EXAMPLES = 5;
/** Deletes are sent once this many objects (or rows) are waiting. */
const FLUSH_AT = 1000;

function busy(row: ImageRow): boolean {
  return row.status === 'PROCESSING' || row.status === 'RETRYING';
}

export async function pruneReprocessed(
  ctx: OperatorContext,
  writes: PruneWrites,
  config: PixelmillConfig,
  options: { readonly prefix: string; readonly dryRun: boolean },
): Promise<PruneReport> {
  const hash = configHash(config);
  const bucket = ctx.resources.renditionsBucket;
  let prunedVersions = 0;
  let skippedVersions = 0;
  let deletedObjects = 0;
  let deletedBytes = 0;
  let deletedRows = 0;
  const examples: string[] = [];
  let objects: string[] = [];
  let rows: { pk: string; sk: string }[] = [];
  const flush = async (force: boolean) => {
    if (options.dryRun) return;
    if (!force && objects.length < FLUSH_AT && rows.length < FLUSH_AT) return;
    // Objects before the rows that list them: a crash in between leaves a row whose renditions
    // are gone, which the next prune deletes, never an object that no row lists.
    await writes.deleteObjects(bucket, objects);
    await writes.deleteRows(rows);
    objects = [];
    rows = [];
  };
  for await (const walked of walkVersions(ctx, options.prefix)) {
    let wholeKey = true;
    for (const v of walked.versions) {
      const target = v.rows.find((r) => r.configHash === hash);
      const others = v.rows.filter((r) => r.configHash !== hash);
      if (!(target?.status === 'DONE' || target?.status === 'REJECTED') || others.some(busy)) {
        if (others.length > 0) skippedVersions++;
        wholeKey = false;
        continue;
      }
      if (others.length === 0) continue;
      prunedVersions++;
      const keep = new Set((target.renditions ?? []).map((r) => r.key));
      const gone = new Map<string, number>();
      for (const row of others)
        for (const r of row.renditions ?? []) if (!keep.has(r.key)) gone.set(r.key, r.bytes);
      for (const [key, bytes] of gone) {
        deletedObjects++;
        deletedBytes += bytes;
        if (examples.length < EXAMPLES) examples.push(key);
        objects.push(key);
      }
      for (const row of others) rows.push({ pk: row.pk, sk: row.sk });
      deletedRows += others.length;
    }
    if (wholeKey) {
      const latest = walked.latestRows.filter((r) => r.configHash !== hash);
      for (const row of latest) rows.push({ pk: row.pk, sk: row.sk });
      deletedRows += latest.length;
    }
    await flush(false);
  }
  await flush(true);
  const recounted = !options.dryRun && deletedRows > 0;
  if (recounted) await recountTable(ctx.table);
  return {
    dryRun: options.dryRun,
    prunedVersions,
    skippedVersions,
    deletedObjects,
    deletedBytes,
    deletedRows,
    examples,
    recounted,
  };
}
