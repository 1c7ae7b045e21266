/**
 * One page of the audit: a few hundred object versions from the uploads listing, the rows they
 * need read by key (BatchGetItem: never a scan), and their renditions checked by listing only the
 * stretch of the renditions bucket their keys fall in. Everything held here is for this page only,
 * so the audit's memory is set by the page size, not by the bucket or the table.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
import { type ImageRow, imageRowKey, isVersionRow } from '../../events/image-row.ts';
import { mapPool } from '../async/pool.ts';
import { rowId } from '../aws/image-table.ts';
import type { AuditGap, AuditObject } from './audit.ts';
import { type AuditCounts, emptyCounts } from './audit-checkpoint.ts';
import { compareKeys } from './audit-segments.ts';
import type { OperatorContext } from './operator-context.ts';

export interface PageRules {
  /** Epoch ms the audit judges ages against. */
  readonly now: number;
  /** Uploads younger than this (ms) with no row are in flight. */
  readonly graceMs: number;
  /** How long a message may be silent (ms) before its row counts as stuck or lost. */
  readonly silentMs: number;
  readonly checkRenditions: boolean;
  /** Object identities (`identityOf`) whose message the DLQ holds. */
  readonly inDeadLetterQueue: ReadonlySet<string>;
}

export interface PageResult {
  readonly counts: AuditCounts;
  readonly gaps: AuditGap[];
  /** Rows read for this page (the audit's largest holding): at most the page's versions. */
  readonly heldRows: number;
}

export const identityOf = (pk: string, version: string) => `${pk}\u0000${version}`;

/** HEAD requests at once for renditions outside the uploads prefix (hashed long/unsafe keys). */
const HEAD_CONCURRENCY = 8;

/** The row of each object version of the page, under the context's config (or the newest of any). */
async function rowsOf(
  ctx: OperatorContext,
  objects: readonly AuditObject[],
): Promise<Map<string, ImageRow>> {
  const rows = new Map<string, ImageRow>();
  const { configHash } = ctx;
  if (configHash) {
    const keys = objects.map((o) =>
      imageRowKey({
        bucket: o.bucket,
        key: o.key,
        version: o.versionId ?? o.etag,
        configHash,
      }),
    );
    const found = await ctx.table.getMany(keys);
    for (const [i, o] of objects.entries()) {
      const key = keys[i];
      const row = key ? found.get(rowId(key)) : undefined;
      if (row) rows.set(identityOf(`${o.bucket}/${o.key}`, o.versionId ?? o.etag), row);
    }
    return rows;
  }
  // No config named (on AWS without --config): a row of any config counts, so read each key's
  // rows (one Query per key; its versions and configs are few).
  const pks = [...new Set(objects.map((o) => `${o.bucket}/${o.key}`))];
  await mapPool(pks, 4, async (pk) => {
    for (const row of await ctx.table.rowsOfKey(pk)) {
      if (!isVersionRow(row)) continue;
      const id = identityOf(row.pk, row.version);
      const known = rows.get(id);
      if (!known || known.updatedAt < row.updatedAt) rows.set(id, row);
    }
  });
  return rows;
}

/**
 * Keys walked past, since the last wanted one, before a renditions listing jumps ahead to the
 * next wanted key: one LIST page. Past that, starting a new listing costs less than walking on.
 */
const SKIP_AFTER_KEYS = 1000;

/**
 * Which of `wanted` rendition keys exist. Keys under the uploads prefix (every safe source key's
 * renditions, see lib/pipeline/rendition-keys.ts) sort beside their source key: they are listed in
 * key order from just before the smallest, and when a listing has walked SKIP_AFTER_KEYS keys
 * without meeting a wanted one it starts again just before the next wanted key. A page of
 * neighbouring keys (a listing audit) is one listing; a page of keys spread over the bucket (an
 * inventory's rows, in whatever order the report has them) costs a listing or two per cluster,
 * never a walk over the whole renditions bucket. Hashed keys elsewhere are HEADed.
 */
async function existingRenditions(
  ctx: OperatorContext,
  wanted: ReadonlySet<string>,
): Promise<Set<string>> {
  const { renditionsBucket, uploadsPrefix } = ctx.resources;
  const found = new Set<string>();
  const listed = [...wanted].filter((k) => k.startsWith(uploadsPrefix)).sort(compareKeys);
  let next = 0;
  while (next < listed.length) {
    const from = next;
    // A proper prefix of a key sorts before it, and nothing lies between but its own kin.
    const startAfter = (listed[next] ?? '').slice(0, -1);
    let sinceWanted = 0;
    let ended = true;
    for await (const o of ctx.store.list(renditionsBucket, uploadsPrefix, { startAfter })) {
      if (wanted.has(o.key)) found.add(o.key);
      const before = next;
      while (next < listed.length && compareKeys(listed[next] ?? '', o.key) <= 0) next++;
      if (next >= listed.length) break;
      sinceWanted = next > before ? 0 : sinceWanted + 1;
      // Jump only once this listing has passed a wanted key, so every listing makes progress.
      if (sinceWanted >= SKIP_AFTER_KEYS && next > from) {
        ended = false;
        break;
      }
    }
    // The listing ran out: no wanted key after it exists.
    if (ended) break;
  }
  const elsewhere = [...wanted].filter((k) => !k.startsWith(uploadsPrefix));
  await mapPool(elsewhere, HEAD_CONCURRENCY, async (key) => {
    if (await ctx.store.head(renditionsBucket, key)) found.add(key);
  });
  return found;
}

/** Classifies one page of object versions (the decision is the audit's contract, see audit.ts). */
export async function auditPage(
  ctx: OperatorContext,
  objects: readonly AuditObject[],
  rules: PageRules,
): Promise<PageResult> {
  const rows = await rowsOf(ctx, objects);
  const counts = emptyCounts();
  const gaps: AuditGap[] = [];
  const wanted = new Set<string>();
  if (rules.checkRenditions) {
    for (const row of rows.values())
      if (row.status === 'DONE') for (const r of row.renditions ?? []) wanted.add(r.key);
  }
  const present = wanted.size > 0 ? await existingRenditions(ctx, wanted) : new Set<string>();
  const { now } = rules;
  const quiet = (r: ImageRow) => now - new Date(r.updatedAt).getTime();
  const gap = (g: AuditGap) => {
    counts[g.kind]++;
    gaps.push(g);
  };

  for (const object of objects) {
    counts.objects++;
    const id = identityOf(`${object.bucket}/${object.key}`, object.versionId ?? object.etag);
    const row = rows.get(id);
    const age = now - (object.lastModified?.getTime() ?? 0);
    if (!row) {
      if (age < rules.graceMs) counts.inFlight++;
      else
        gap({ kind: 'no-row', object, detail: 'no row: the upload event never reached a worker' });
    } else if (row.status === 'DONE') {
      const missing = rules.checkRenditions
        ? (row.renditions ?? []).filter((r) => !present.has(r.key))
        : [];
      if (missing.length > 0) {
        gap({
          kind: 'missing-renditions',
          object,
          row,
          detail: `${missing.length} rendition(s) missing, e.g. ${missing[0]?.key}`,
        });
      } else counts.done++;
    } else if (row.status === 'REJECTED') {
      counts.rejected++;
    } else if (row.status === 'FAILED') {
      // A FAILED row's message may still be on its way to the DLQ, unless an operator deleted
      // it from there since its last failure (`dlq delete`, `dlq purge`): then it is a gap now.
      const deleted = row.history?.at(-1)?.event === 'dlq-deleted';
      if (rules.inDeadLetterQueue.has(id) || (!deleted && quiet(row) < rules.silentMs))
        counts.inDeadLetterQueue++;
      else
        gap({
          kind: 'failed-not-in-dlq',
          object,
          row,
          detail: deleted
            ? `FAILED ${row.updatedAt}, its message deleted from the DLQ by an operator`
            : `FAILED ${row.updatedAt}, its message is not in the DLQ`,
        });
    } else if (rules.inDeadLetterQueue.has(id)) {
      // Its last failure could not be written (the claim or the failure write failed on the
      // last receive), but SQS moved its message: it is in the DLQ, not stuck.
      counts.inDeadLetterQueue++;
    } else {
      const live = (row.leaseUntil ?? 0) > now;
      if (live || quiet(row) < rules.silentMs) counts.inFlight++;
      else
        gap({
          kind: 'stuck',
          object,
          row,
          detail: `${row.status} since ${row.updatedAt} with no live lease or message`,
        });
    }
  }
  return { counts, gaps, heldRows: rows.size };
}
