/**
 * The DONE images of the table, as a HashList: one pass of a projected Scan (only the keys,
 * status, config, dimensions, size and analysis of each row are read), holding only what the
 * grouping needs per image. The same reads on DynamoDB and on the local cloud's dynalite.
 */
import { isVersionRow } from '../../events/image-row.ts';
import { rowId } from '../aws/image-row-reader.ts';
import type { OperatorContext } from '../ops/operator-context.ts';
import { HashList } from './hash-list.ts';

const ATTRIBUTES = [
  'pk',
  'sk',
  'status',
  'configHash',
  'width',
  'height',
  'bytes',
  'analysis',
  'duplicateOf',
];

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** `duplicateOf` as written by the worker: a `{ pk, sk }` or a string; its row id either way. */
function link(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const { pk, sk } = value as { pk?: unknown; sk?: unknown };
    if (typeof pk === 'string' && typeof sk === 'string') return rowId({ pk, sk });
  }
  return undefined;
}

export interface ReadHashesResult {
  readonly list: HashList;
  /** DONE rows in scope with no usable perceptual hash (none recorded, or not 16 hex digits). */
  readonly unhashed: number;
}

/**
 * Every DONE version row under the context's config (without one: one row per object version,
 * whatever its config) whose key `inScope` accepts. A scan returns a partition key's rows
 * together, so deduplicating versions across configs holds one key's versions at a time.
 */
export async function readHashes(
  ctx: OperatorContext,
  inScope: (key: string) => boolean = () => true,
): Promise<ReadHashesResult> {
  const list = new HashList();
  let unhashed = 0;
  let pk: string | undefined;
  const versionsOfKey = new Set<string>();
  const bucketPrefix = `${ctx.resources.uploadsBucket}/`;
  for await (const row of ctx.table.scan({ attributes: ATTRIBUTES })) {
    if (!isVersionRow(row) || row.status !== 'DONE') continue;
    if (ctx.configHash !== undefined && row.configHash !== ctx.configHash) continue;
    if (!row.pk.startsWith(bucketPrefix) || !inScope(row.pk.slice(bucketPrefix.length))) continue;
    if (ctx.configHash === undefined) {
      if (row.pk !== pk) {
        versionsOfKey.clear();
        pk = row.pk;
      }
      const version = versionOf(row.sk);
      if (versionsOfKey.has(version)) continue;
      versionsOfKey.add(version);
    }
    const analysis = (row.analysis ?? {}) as Record<string, unknown>;
    const phash = text(analysis.phash);
    if (phash === undefined || !/^[0-9a-f]{16}$/i.test(phash)) {
      unhashed++;
      continue;
    }
    list.add({
      id: rowId(row),
      phash,
      sha256: text(analysis.sha256),
      width: number(row.width),
      height: number(row.height),
      bytes: number(row.bytes),
      duplicateOf: link((row as { duplicateOf?: unknown }).duplicateOf),
    });
  }
  return { list, unhashed };
}

/** The object version of a version row's `sk` (`v#<version>#c#<config hash>`). */
export function versionOf(sk: string): string {
  const end = sk.lastIndexOf('#c#');
  return sk.slice(2, end < 0 ? undefined : end);
}
