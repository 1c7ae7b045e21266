/**
 * `pixelmill ingest` of generated archives, through the launcher users run, against a
 * `pixelmill stack up` process:
 * - a 10,000-entry zip and a tar.gz of the same images: the CLI's peak RSS stays under 300 MB,
 *   nothing is written to disk but the checkpoint (the working directory, TMPDIR and the state
 *   directory are compared before and after), and each image raises exactly one event;
 * - Ctrl-C halfway through a zip, then `--resume`: the second run uploads only the rest, and every
 *   image ends DONE.
 *
 * Sizes: `npm test` ingests the full 10,000 entries per archive but processes only the resumed
 * archive's images (processing 20,000 images takes ~15 minutes on 2 cores);
 * `npm run ingest:full` (PIXELMILL_INGEST=full) also processes all 20,000 to DONE.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { topology } from '../../infra/topology.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { Queue } from '../../lib/aws/queue.ts';
import type { SourceReport } from '../../lib/ingest/ingest.ts';
import { type ChaosImage, chaosImages } from '../chaos/images.ts';
import { writeTar, writeZip } from '../fixtures/archives.ts';
import { finished, spawnCli } from '../helpers/cli.ts';
import { type CliStack, startCliStack, startCliWorker } from '../helpers/cli-stack.ts';
import { eventually, filesUnder, tempStateDir } from '../helpers/temp.ts';

const FULL = process.env.PIXELMILL_INGEST === 'full';
const ENTRIES = 10_000;
const RESUMED = FULL ? 10_000 : 1_000;
const RSS_LIMIT = 300 * 1024 * 1024;

interface IngestJson {
  readonly seconds: number;
  readonly interrupted: boolean;
  readonly checkpoint: string;
  readonly peakRssBytes: number;
  readonly sources: readonly SourceReport[];
}

/** What `stack up` itself keeps in the state directory (the emulators' data, its address). */
const CLOUD_FILES = ['s3', 'sqs', 'dynamodb', 'cloud.json'];

async function uploadsUnder(stack: CliStack, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of new ObjectStore(stack.clients.s3).list(topology.uploadsBucket, prefix)) n++;
  return n;
}

async function doneUnder(stack: CliStack, prefix: string): Promise<number> {
  const table = new ImageTable(stack.clients.dynamo, topology.table);
  let n = 0;
  for await (const row of table.scan())
    if (isVersionRow(row) && row.key.startsWith(prefix) && row.status === 'DONE') n++;
  return n;
}

function ingest(args: readonly string[], env: Record<string, string> = {}, cwd?: string) {
  return spawnCli(['ingest', ...args, '--json'], { env, ...(cwd ? { cwd } : {}) });
}

async function report(child: ChildProcess, expectedCode: number): Promise<IngestJson> {
  const r = await finished(child);
  assert.equal(r.code, expectedCode, r.stderr);
  return JSON.parse(r.stdout) as IngestJson;
}

const zipOf = (path: string, images: readonly ChaosImage[]) =>
  writeZip(
    path,
    images.map((i) => ({ name: i.name, data: i.body })),
  );

describe('pixelmill ingest: archives', () => {
  it(`streams a ${ENTRIES.toLocaleString('en-US')}-entry zip and tar.gz in flat memory, writing only the checkpoint`, {
    timeout: FULL ? 1_800_000 : 600_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'ingest-big');
    const cwd = join(dir, 'cwd');
    const tmp = join(dir, 'tmp');
    await mkdir(cwd);
    await mkdir(tmp);
    const images = await chaosImages(ENTRIES);
    const zip = await zipOf(join(dir, 'agency.zip'), images);
    const tgz = await writeTar(
      join(dir, 'decade.tar.gz'),
      images.map((i) => ({ name: i.name, data: i.body })),
      { gzip: true },
    );
    const stack = await startCliStack(t, state);
    const before = await filesUnder(state, CLOUD_FILES);

    for (const [archive, root] of [
      [zip, 'agency'],
      [tgz, 'decade'],
    ] as const) {
      const r = await report(ingest([archive, '--state', state], { TMPDIR: tmp }, cwd), 0);
      const [source] = r.sources;
      assert.equal(source?.uploaded, ENTRIES, `${root}: every entry uploaded`);
      assert.deepEqual(source?.refused, []);
      t.diagnostic(
        `${root}: ${ENTRIES} entries in ${r.seconds} s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
      );
      assert.ok(
        r.peakRssBytes < RSS_LIMIT,
        `${root}: peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB, limit 300 MiB`,
      );
      assert.equal(await uploadsUnder(stack, `uploads/${root}/`), ENTRIES);
    }

    // Nothing on disk but the checkpoint: no extraction, no temporary files, no spill.
    assert.deepEqual(await readdir(cwd), [], 'nothing written in the working directory');
    assert.deepEqual(await readdir(tmp), [], 'nothing written in TMPDIR');
    const after = await filesUnder(state, CLOUD_FILES);
    const added = after.filter((f) => !before.includes(f));
    assert.equal(added.length, 2, `the state dir gained ${added.join(', ')}`);
    for (const f of added) assert.match(f, /^ingest\/[\w-]+\.json$/);

    // One event per image: nothing lost, nothing doubled on the way in.
    const work = await Queue.byName(stack.clients.sqs, topology.workQueue);
    const depth = await work.depth();
    assert.equal(depth.visible + depth.inFlight, 2 * ENTRIES);

    if (FULL) {
      startCliWorker(t, state, { concurrency: 2 });
      await eventually(
        'all 20,000 images DONE',
        async () => ((await doneUnder(stack, 'uploads/')) === 2 * ENTRIES ? true : undefined),
        1_500_000,
        5_000,
      );
    }
  });

  it('after Ctrl-C halfway, --resume uploads only the rest, and every image ends DONE', {
    timeout: FULL ? 1_800_000 : 300_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'ingest-resume');
    const images = await chaosImages(RESUMED, 20_000);
    const zip = await zipOf(join(dir, 'backlog.zip'), images);
    const stack = await startCliStack(t, state);

    const first = ingest([zip, '--state', state, '--concurrency', '2']);
    // Interrupted once about a third is in: well inside the archive, whatever the machine speed.
    await eventually(
      'a third of the archive uploaded',
      async () =>
        (await uploadsUnder(stack, 'uploads/backlog/')) >= RESUMED / 3 ? true : undefined,
      120_000,
      50,
    );
    first.kill('SIGINT');
    const stopped = await report(first, 130);
    assert.equal(stopped.interrupted, true);
    const done = stopped.sources[0]?.uploaded ?? 0;
    assert.ok(done > 0 && done < RESUMED, `${done} uploaded before the interruption`);
    // Entries in flight when Ctrl-C came were finished, and recorded, before exiting.
    assert.equal(await uploadsUnder(stack, 'uploads/backlog/'), done);

    const resumed = await report(ingest([zip, '--state', state, '--resume']), 0);
    const [source] = resumed.sources;
    assert.equal(source?.uploaded, RESUMED - done, 'only the rest uploaded');
    assert.equal(source?.skipped, done, 'the finished entries skipped by their index');
    assert.equal(source?.alreadyThere, 0, 'nothing uploaded twice');
    assert.equal(await uploadsUnder(stack, 'uploads/backlog/'), RESUMED);
    const work = await Queue.byName(stack.clients.sqs, topology.workQueue);
    const depth = await work.depth();
    assert.equal(depth.visible + depth.inFlight, RESUMED, 'one event per image');

    startCliWorker(t, state, { concurrency: 2 });
    await eventually(
      `all ${RESUMED} images DONE`,
      async () => ((await doneUnder(stack, 'uploads/backlog/')) === RESUMED ? true : undefined),
      FULL ? 1_500_000 : 240_000,
      1_000,
    );
  });
});
