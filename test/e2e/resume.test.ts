/**
 * Kill `pixelmill run` with SIGKILL in the middle of a run, run the same command again with the
 * same state: every image is accounted for, none is lost, and none is processed into a second,
 * different result (rows finished before the kill are untouched; one row and one rendition set
 * per image).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { topology } from '../../infra/topology.ts';
import { createAwsClients } from '../../lib/aws/clients.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import type { Manifest } from '../../lib/run/manifest.ts';
import { finished, spawnCli } from '../helpers/cli.ts';
import { photoRunDir } from '../helpers/photo-dirs.ts';
import { eventually } from '../helpers/temp.ts';

const IMAGES = 24;

async function snapshot(stateDir: string) {
  const cloud = await startLocalCloud({ stateDir });
  const clients = createAwsClients(cloud.target);
  try {
    const rows: ImageRow[] = [];
    const latest: ImageRow[] = [];
    for await (const row of new ImageTable(clients.dynamo, topology.table).scan()) {
      (isVersionRow(row) ? rows : latest).push(row);
    }
    const renditions: string[] = [];
    for await (const o of new ObjectStore(clients.s3).list(topology.renditionsBucket, ''))
      renditions.push(o.key);
    return { rows, latest, renditions };
  } finally {
    clients.destroy();
    await cloud.stop();
  }
}

describe('resuming an interrupted run', () => {
  it('finishes every image after kill -9, with no second result for any', {
    timeout: 180_000,
  }, async (t) => {
    const { dir, state, input } = await photoRunDir(t, 'resume', 'photos', {
      count: IMAGES,
      width: 1800,
      height: 1200,
      name: (i) => `photo-${String(i).padStart(2, '0')}.jpg`,
    });
    const out = join(dir, 'out');
    const args = ['run', input, '--out', out, '--state', state, '--concurrency', '1'];

    const first = spawnCli(args);
    const firstDone = finished(first);
    const log = join(state, 'logs', 'pixelmill.log');
    await eventually(
      'four images done before the kill',
      async () => {
        const text = await readFile(log, 'utf8').catch(() => '');
        return (text.match(/"image done"/g) ?? []).length >= 4 ? true : undefined;
      },
      90_000,
      50,
    );
    first.kill('SIGKILL');
    const killed = await firstDone;
    assert.equal(killed.signal, 'SIGKILL');

    const before = await snapshot(state);
    const doneBefore = before.rows.filter((r) => r.status === 'DONE');
    assert.ok(
      doneBefore.length >= 4 && doneBefore.length < IMAGES,
      `${doneBefore.length} done before the kill`,
    );

    const second = await finished(spawnCli([...args, '--json']));
    assert.equal(second.code, 0, second.stderr);
    const manifest = JSON.parse(second.stdout) as Manifest;
    assert.equal(manifest.summary.total, IMAGES);
    assert.equal(
      manifest.summary.done,
      IMAGES,
      JSON.stringify(manifest.images.filter((i) => i.status !== 'DONE')),
    );

    const after = await snapshot(state);
    assert.equal(after.rows.length, IMAGES, 'exactly one row per image version');
    assert.equal(new Set(after.rows.map((r) => r.pk)).size, IMAGES);
    assert.ok(after.rows.every((r) => r.status === 'DONE'));
    for (const row of doneBefore) {
      const now = after.rows.find((r) => r.pk === row.pk && r.sk === row.sk);
      assert.equal(now?.updatedAt, row.updatedAt, `${row.key} was not processed again`);
      assert.deepEqual(now?.renditions, row.renditions);
    }
    assert.equal(after.renditions.length, IMAGES * 6, 'one rendition set per image');
    assert.equal(after.latest.length, IMAGES, 'one LATEST row per key');
    for (const row of after.latest) {
      assert.equal(row.latestOf, after.rows.find((r) => r.pk === row.pk)?.sk);
    }
  });
});
