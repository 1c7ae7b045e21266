/**
 * What `pixelmill duplicates` reads of the metadata table, on the embedded cloud's dynalite: the
 * DONE version rows of the current config and nothing else (not REJECTED rows, LATEST rows,
 * other configs' rows, the audit's checkpoint or the table's counts), a version once when no
 * config is given, `duplicateOf` carried when the worker wrote one, and rows without a
 * perceptual hash counted apart. Rows are written as the worker leaves them (table-rows.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUDIT_ITEMS_PK, type ImageRow, latestRowKey } from '../../events/image-row.ts';
import { findDuplicates } from '../../lib/duplicates/listing.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';
import { doneRow, putRows } from '../helpers/table-rows.ts';

describe('reading the table for duplicates', () => {
  it('groups the DONE rows of the current config only', { timeout: 120_000 }, async (t) => {
    const env = await startTestCloud(t);
    const ctx = await operatorContext(env);
    const config = ctx.configHash ?? '';
    const bucket = ctx.resources.uploadsBucket;
    /** A DONE row as the worker leaves it, with its hashes (a one-digit SHA-256 stand-in). */
    const row = (key: string, phash: string | undefined, bytes = 'a', configHash = config) => {
      const base = doneRow(bucket, key, configHash);
      return {
        ...base,
        analysis: { ...base.analysis, ...(phash ? { phash, sha256: bytes.repeat(64) } : {}) },
      };
    };
    const a = row('uploads/p/a.jpg', '00000000000000ff');
    const rows: ImageRow[] = [
      a,
      // 3 bits from a, other bytes: a near duplicate.
      row('uploads/p/b.jpg', '00000000000007ff', 'b'),
      // Same bytes as a, linked to it by the worker.
      {
        ...row('uploads/p/c.jpg', '00000000000000ff'),
        duplicateOf: { pk: a.pk, sk: a.sk },
      } as ImageRow,
      // Far from everything.
      row('uploads/p/far.jpg', 'ffffffffffff0000', 'f'),
      // Not compared: no hash.
      row('uploads/p/nohash.jpg', undefined),
      // Out of scope when scoped to uploads/p/.
      row('uploads/q/a-elsewhere.jpg', '00000000000000ff', 'e'),
      // Never read: REJECTED, another config's row, a LATEST row.
      { ...row('uploads/p/rejected.jpg', '00000000000000ff', 'd'), status: 'REJECTED' },
      row('uploads/p/other-config.jpg', '00000000000000ff', 'c', 'another-config'),
      { ...a, ...latestRowKey({ bucket, key: 'uploads/p/a.jpg', configHash: config }) },
    ];
    await putRows(env.clients.dynamo, ctx.resources.table, rows);
    await env.table.putDocument({ pk: AUDIT_ITEMS_PK, sk: 'checkpoint#operator' }, '{}');

    const scoped = await findDuplicates(ctx, {
      distance: 8,
      inScope: (key) => key.startsWith('uploads/p/'),
    });
    assert.equal(scoped.images, 4, 'a, b, c and far');
    assert.equal(scoped.unhashed, 1);
    assert.equal(scoped.groups.length, 1);
    const [group] = scoped.groups;
    assert.deepEqual(
      group?.images.map((i) => [i.key, i.distance, i.sameBytesAs ?? null]),
      [
        ['uploads/p/a.jpg', 0, null],
        ['uploads/p/b.jpg', 3, null],
        ['uploads/p/c.jpg', 0, 'uploads/p/a.jpg'],
      ],
    );
    assert.equal(group?.images[2]?.duplicateOf, `${a.pk}\u0000${a.sk}`);
    assert.equal(group?.kind, 'near');

    const all = await findDuplicates(ctx, { distance: 8 });
    assert.equal(all.images, 5, 'the other prefix too');
    assert.equal(all.groups[0]?.size, 4);

    // Without a config, one row per object version whatever its config: other-config counts once.
    const anyConfig = await findDuplicates({ ...ctx, configHash: undefined }, { distance: 0 });
    assert.equal(anyConfig.images, 6);
    assert.ok(anyConfig.groups[0]?.images.some((i) => i.key === 'uploads/p/other-config.jpg'));
  });
});
