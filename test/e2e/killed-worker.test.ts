/**
 * `kill -9` of a `pixelmill worker` in the middle of a backlog that two workers share. A local
 * worker holds only the images it is working on, each for a short visibility its lease renews,
 * so the other worker has had a share of the backlog all along, and finishes the dead one's
 * images within seconds of their leases — not after the queue's 12-minute visibility timeout.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { topology } from '../../infra/topology.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { cliJson, startCliStack, startCliWorker } from '../helpers/cli-stack.ts';
import { photoRunDir } from '../helpers/photo-dirs.ts';
import { eventually } from '../helpers/temp.ts';

const IMAGES = 12;

describe('a killed worker', () => {
  it('has its images finished by another worker within 60 s, which had a share all along', {
    timeout: 180_000,
  }, async (t) => {
    const { state, input } = await photoRunDir(t, 'killed', 'backlog', {
      count: IMAGES,
      width: 640,
      height: 480,
    });
    const stack = await startCliStack(t, state);
    const table = new ImageTable(stack.clients.dynamo, topology.table);
    const rows = async () => {
      const found = [];
      for await (const row of table.scan()) if (isVersionRow(row)) found.push(row);
      return found;
    };
    await cliJson(['ingest', input, '--state', state, '--json']);

    // The first worker starts alone (and would take the whole backlog if it could); it kills
    // itself (SIGKILL) after its third image, with whatever it holds in hand.
    const doomed = startCliWorker(t, state, { concurrency: 1, faults: { crashAfterRecords: 3 } });
    const died = new Promise<number>((resolve) => doomed.once('exit', () => resolve(Date.now())));
    await eventually('the first worker at work', async () =>
      (await rows()).length > 0 ? true : undefined,
    );
    const survivor = startCliWorker(t, state, { concurrency: 1 });
    const diedAt = await died;
    assert.equal(doomed.signalCode, 'SIGKILL');

    const done = await eventually(
      'every image DONE',
      async () => {
        const all = await rows();
        return all.filter((r) => r.status === 'DONE').length === IMAGES ? Date.now() : undefined;
      },
      90_000,
      250,
    );
    const seconds = (done - diedAt) / 1000;
    t.diagnostic(`every image DONE ${seconds.toFixed(1)} s after the kill`);
    assert.ok(seconds < 60, `DONE ${seconds.toFixed(1)} s after the kill`);

    // Both had their share: the survivor finished more than the dead one's leftovers.
    const log = await readFile(join(state, 'logs', 'pixelmill.log'), 'utf8');
    const doneBy = (pid: number | undefined) =>
      log
        .split('\n')
        .filter((line) => line.includes('"message":"image done"') && line.includes(`"pid":${pid}`))
        .length;
    // The dead worker works on two images at once (a batch of 2 per --concurrency): when it
    // kills itself after its third, the other of its pair may be DONE too, its log line dying
    // unwritten with it. Whatever else it held, the survivor finished.
    assert.ok(doneBy(doomed.pid) <= 3, `the first worker: ${doneBy(doomed.pid)}`);
    assert.ok(doneBy(survivor.pid) >= IMAGES - 4, `the survivor: ${doneBy(survivor.pid)}`);
  });
});
