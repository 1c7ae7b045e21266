/**
 * The walk `pixelmill reprocess` makes, once for the plan, again to enqueue and to prune: every
 * object version under a prefix of the uploads bucket (the set the audit judges, so that an
 * archive brought up to a config passes the audit under it), in key order, each key with every
 * row the table holds for it (its versions under every config, and its LATEST rows: one Query per
 * key). It streams: a page of keys at a time, so memory is one page of keys and their rows,
 * whatever the bucket holds.
 */
import { type ImageRow, isLatestRow, isVersionRow } from '../../events/image-row.ts';
import { mapPool } from '../async/pool.ts';
import type { OperatorContext } from './operator-context.ts';

export interface WalkedVersion {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string | undefined;
  readonly size: number;
  /** How rows name it: the version id, or the ETag for an unversioned object. */
  readonly version: string;
  /** Its rows, one per config it was processed under. */
  readonly rows: readonly ImageRow[];
}

export interface WalkedKey {
  readonly pk: string;
  readonly versions: readonly WalkedVersion[];
  /** The key's LATEST rows (one per config). */
  readonly latestRows: readonly ImageRow[];
}

/** Keys read per page, and the Queries in flight for them. */
const PAGE_KEYS = 100;
const QUERY_CONCURRENCY = 8;

type Listed = Omit<WalkedVersion, 'rows' | 'version'>;

export async function* walkVersions(
  ctx: OperatorContext,
  prefix: string,
): AsyncGenerator<WalkedKey> {
  const bucket = ctx.resources.uploadsBucket;
  let page: Listed[][] = [];
  const flush = async function* (): AsyncGenerator<WalkedKey> {
    const keys = page;
    page = [];
    const read = await mapPool(keys, QUERY_CONCURRENCY, async (versions) => {
      const pk = `${bucket}/${versions[0]?.key ?? ''}`;
      return { pk, versions, rows: await ctx.table.rowsOfKey(pk) };
    });
    for (const { pk, versions, rows } of read) {
      yield {
        pk,
        versions: versions.map((v) => {
          const version = v.versionId ?? v.etag;
          return {
            ...v,
            version,
            rows: rows.filter((r) => isVersionRow(r) && r.version === version),
          };
        }),
        latestRows: rows.filter(isLatestRow),
      };
    }
  };
  let current: Listed[] = [];
  for await (const o of ctx.store.listVersions(bucket, prefix)) {
    if (current.length > 0 && current[0]?.key !== o.key) {
      page.push(current);
      current = [];
      if (page.length >= PAGE_KEYS) yield* flush();
    }
    current.push({ bucket, key: o.key, etag: o.etag, versionId: o.versionId, size: o.size });
  }
  if (current.length > 0) page.push(current);
  yield* flush();
}
