/**
 * Several `pixelmill run`s on one state directory: one runs the local cloud, the others join it
 * (none opens the emulators' files a second time), each follows its own images to the end, and a
 * run whose cloud stops under it (the run or `stack up` that ran it ended first) runs the cloud
 * itself and finishes.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { topology } from '../../infra/topology.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import type { Manifest } from '../../lib/run/manifest.ts';
import { finished, spawnCli } from '../helpers/cli.ts';
import { startCliStack, stopCli } from '../helpers/cli-stack.ts';
import { writePhotos } from '../helpers/photo-dirs.ts';
import { eventually, tempStateDir } from '../helpers/temp.ts';

const photos = (dir: string, name: string, count: number, seed: number) =>
  writePhotos(join(dir, name), { count, seed, width: 400, height: 300 });

function run(t: { after: (fn: () => Promise<void>) => void }, input: string, state: string) {
  const child: ChildProcess = spawnCli(['run', input, '--out', `${input}-out`, '--state', state]);
  t.after(() => stopCli(child));
  return { child, result: finished(child) };
}

/** The run's own images, all DONE, from the manifest it printed with --json. */
function assertAllDone(stdout: string, prefix: string, count: number): void {
  const manifest = JSON.parse(stdout) as Manifest;
  assert.equal(manifest.summary.total, count);
  assert.equal(manifest.summary.done, count);
  assert.ok(manifest.images.every((image) => image.key.startsWith(prefix)));
}

describe('pixelmill run, several on one state directory', () => {
  it('two runs started together both finish, each with its own images', {
    timeout: 120_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'two-runs');
    const a = await photos(dir, 'a', 4, 1);
    const b = await photos(dir, 'b', 4, 50);
    const first = spawnCli(['run', a, '--out', join(dir, 'out-a'), '--state', state, '--json']);
    const second = spawnCli(['run', b, '--out', join(dir, 'out-b'), '--state', state, '--json']);
    t.after(() => stopCli(first));
    t.after(() => stopCli(second));
    const [ra, rb] = await Promise.all([finished(first), finished(second)]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assertAllDone(ra.stdout, 'uploads/a/', 4);
    assertAllDone(rb.stdout, 'uploads/b/', 4);
    for (const r of [ra, rb]) assert.doesNotMatch(r.stderr, /^\s+at /m, r.stderr);
  });

  it('a run whose cloud stops under it runs the cloud itself and finishes', {
    timeout: 120_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'run-takes-over');
    const input = await photos(dir, 'late', 12, 100);
    const stack = await startCliStack(t, state);
    const { result } = run(t, input, state);
    const table = new ImageTable(stack.clients.dynamo, topology.table);
    await eventually(
      'a first image of the run DONE',
      async () => {
        for await (const row of table.scan())
          if (isVersionRow(row) && row.status === 'DONE') return true;
        return undefined;
      },
      60_000,
      100,
    );
    await stopCli(stack.process);
    const ended = await result;
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stderr, /pixelmill run: lost the local cloud at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(ended.stderr, /pixelmill run: runs the local cloud now, at /);
    assert.match(ended.stderr, /DONE +12 /);
    assert.doesNotMatch(ended.stderr, /^\s+at /m, ended.stderr);
  });
});
