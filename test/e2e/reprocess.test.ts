/**
 * `pixelmill reprocess` on the local cloud, every part a real process (`stack up`, `run`, the
 * command itself, whose in-process worker is the real handler): 100 generated images processed
 * under C1, then brought up to C2, which changes one preset of two. The plan is checked first
 * (counts, by preset, what a rate means in seconds — counted, never timed), then the work, then
 * the prune of the old preset's renditions, and the audit under C2 after it. It asserts nothing
 * about how many renders the worker made: reprocess is right whether or not the worker reuses
 * renditions whose preset hash is unchanged (it is only cheaper when it does).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import { topology } from '../../infra/topology.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { Queue } from '../../lib/aws/queue.ts';
import { configHash, parseConfig } from '../../lib/config/parse.ts';
import type { ReprocessPlan } from '../../lib/ops/reprocess-plan.ts';
import type { PruneReport } from '../../lib/ops/reprocess-prune.ts';
import { chaosImages, writeImages } from '../chaos/images.ts';
import { runCli } from '../helpers/cli.ts';
import { cliJson, startCliStack } from '../helpers/cli-stack.ts';
import { tempDir } from '../helpers/temp.ts';

const PHOTOS = 80;
const EXTRA = 20;
const RATE = 40;

const C1 = {
  presets: [
    { name: 'a', width: 48, formats: [{ format: 'jpeg', quality: 80 }] },
    { name: 'b', width: 24, formats: [{ format: 'webp', quality: 80 }] },
  ],
};
/** Preset b's quality changed; a is the same preset, so it keeps its hash and its keys. */
const C2 = {
  presets: [C1.presets[0], { name: 'b', width: 24, formats: [{ format: 'webp', quality: 40 }] }],
};

interface Reprocessed {
  readonly dryRun: boolean;
  readonly plan: ReprocessPlan;
  readonly enqueued: number;
  readonly after?: ReprocessPlan;
  readonly pruned?: PruneReport;
}

describe('pixelmill reprocess', () => {
  it(`brings ${PHOTOS + EXTRA} images from one config to another, then prunes the old renditions`, {
    timeout: 600_000,
  }, async (t) => {
    const dir = await tempDir(t, 'reprocess');
    const state = join(dir, 'state');
    await mkdir(join(dir, 'photos'));
    await mkdir(join(dir, 'extra'));
    const images = await chaosImages(PHOTOS + EXTRA);
    await writeImages(join(dir, 'photos'), images.slice(0, PHOTOS));
    await writeImages(join(dir, 'extra'), images.slice(PHOTOS));
    const c1File = join(dir, 'c1.json');
    const c2File = join(dir, 'c2.json');
    await writeFile(c1File, JSON.stringify(C1));
    await writeFile(c2File, JSON.stringify(C2));
    const hash1 = configHash(parseConfig(C1, 'c1'));
    const hash2 = configHash(parseConfig(C2, 'c2'));

    await mkdir(state);
    const stack = await startCliStack(t, state);
    const table = new ImageTable(stack.clients.dynamo, topology.table);
    const store = new ObjectStore(stack.clients.s3);
    /** The DONE images `pixelmill status` counts. */
    const statusDone = async () =>
      (await cliJson<{ images: { done: number } }>(['status', '--state', state, '--json'])).value
        .images.done;
    const rowsUnder = async (hash: string) => {
      const rows: ImageRow[] = [];
      for await (const row of table.scan())
        if (isVersionRow(row) && row.configHash === hash) rows.push(row);
      return rows;
    };
    const first = await runCli([
      'run',
      join(dir, 'photos'),
      join(dir, 'extra'),
      '--out',
      join(dir, 'out'),
      '--config',
      c1File,
      '--state',
      state,
      '--json',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const c1Rows = await rowsUnder(hash1);
    assert.equal(c1Rows.filter((r) => r.status === 'DONE').length, PHOTOS + EXTRA);
    const stateConfig = await readFile(join(state, 'config.json'), 'utf8');
    const renditionObjects = async () => {
      let count = 0;
      for await (const _ of store.list(topology.renditionsBucket, '')) count++;
      return count;
    };
    const before = await renditionObjects();
    assert.equal(before, 2 * (PHOTOS + EXTRA));

    // The plan: every image lacks preset b (changed), none lacks a (unchanged); nothing changes.
    const dry = await cliJson<Reprocessed>([
      'reprocess',
      '--config',
      c2File,
      '--rate',
      String(RATE),
      '--dry-run',
      '--prune',
      '--state',
      state,
      '--json',
    ]);
    assert.equal(dry.code, 0);
    const plan = dry.value.plan;
    assert.equal(plan.configHash, hash2);
    assert.equal(plan.versions, PHOTOS + EXTRA);
    assert.equal(plan.toReprocess, PHOTOS + EXTRA);
    assert.equal(plan.upToDate, 0);
    assert.deepEqual(
      plan.presets.map((p) => [p.name, p.images, p.renditions]),
      [
        ['a', 0, 0],
        ['b', PHOTOS + EXTRA, PHOTOS + EXTRA],
      ],
    );
    assert.equal(plan.renditions, PHOTOS + EXTRA);
    // Rate, counted: 100 messages at 40 a second take 2.5 s to queue.
    assert.equal(plan.enqueueSeconds, (PHOTOS + EXTRA) / RATE);
    assert.equal(plan.cpu.measuredImages, PHOTOS + EXTRA);
    assert.ok(plan.cpu.seconds !== null && plan.cpu.fullSeconds !== null);
    assert.ok(plan.cpu.seconds < plan.cpu.fullSeconds, 'one preset of two costs less than both');
    assert.equal(dry.value.enqueued, 0);
    // Nothing under C2 is up to date yet, so a prune would delete nothing.
    assert.equal(dry.value.pruned?.deletedObjects, 0);
    assert.equal(await readFile(join(state, 'config.json'), 'utf8'), stateConfig);
    assert.equal((await rowsUnder(hash2)).length, 0);
    assert.equal((await rowsUnder(hash1)).length, PHOTOS + EXTRA);
    assert.equal(await renditionObjects(), before);
    const workQueue = await Queue.byName(stack.clients.sqs, topology.workQueue);
    assert.deepEqual(await workQueue.depth(), { visible: 0, inFlight: 0, delayed: 0 });

    // A prefix limits the set: planned, then done, for those keys only.
    const extraArgs = ['reprocess', '--config', c2File, '--prefix', 'extra/', '--state', state];
    const extraPlan = await cliJson<Reprocessed>([...extraArgs, '--dry-run', '--json']);
    assert.equal(extraPlan.value.plan.versions, EXTRA);
    assert.equal(extraPlan.value.plan.toReprocess, EXTRA);
    const extra = await cliJson<Reprocessed>([...extraArgs, '--json']);
    assert.equal(extra.code, 0);
    assert.equal(extra.value.enqueued, EXTRA);
    assert.equal(extra.value.after?.upToDate, EXTRA);
    assert.equal((await rowsUnder(hash2)).length, EXTRA);
    assert.ok((await rowsUnder(hash2)).every((r) => r.key.startsWith('uploads/extra/')));

    // The rest: every image DONE under C2, and the plan after it finds nothing to do.
    const done = await cliJson<Reprocessed>([
      'reprocess',
      '--config',
      c2File,
      '--rate',
      String(RATE),
      '--state',
      state,
      '--json',
    ]);
    assert.equal(done.code, 0);
    assert.equal(done.value.plan.upToDate, EXTRA);
    assert.equal(done.value.enqueued, PHOTOS);
    assert.equal(done.value.after?.upToDate, PHOTOS + EXTRA);
    assert.equal(done.value.after?.toReprocess, 0);
    const c2Rows = await rowsUnder(hash2);
    assert.equal(c2Rows.filter((r) => r.status === 'DONE').length, PHOTOS + EXTRA);
    assert.ok(c2Rows.every((r) => r.history?.some((h) => h.origin === 'reprocess')));
    // The state now remembers C2: status counts under it, and agrees.
    assert.equal(await statusDone(), PHOTOS + EXTRA);
    const report = await cliJson<{ images: number }>([
      'report',
      '--out',
      join(dir, 'report.html'),
      '--state',
      state,
      '--json',
    ]);
    assert.equal(report.value.images, PHOTOS + EXTRA);
    // Both configs' renditions now: a's shared, b's old and new.
    assert.equal(await renditionObjects(), 3 * (PHOTOS + EXTRA));

    // Prune: the old preset b's renditions go, the shared preset a's stay, C1's rows go.
    const oldB = c1Rows.flatMap((r) => (r.renditions ?? []).filter((x) => x.name === 'b'));
    const sharedA = c2Rows.flatMap((r) => (r.renditions ?? []).filter((x) => x.name === 'a'));
    assert.equal(oldB.length, PHOTOS + EXTRA);
    assert.deepEqual(
      new Set(sharedA.map((x) => x.key)),
      new Set(
        c1Rows.flatMap((r) => (r.renditions ?? []).filter((x) => x.name === 'a').map((x) => x.key)),
      ),
      'an unchanged preset keeps its rendition keys',
    );
    const pruned = await cliJson<Reprocessed>([
      'reprocess',
      '--config',
      c2File,
      '--prune',
      '--state',
      state,
      '--json',
    ]);
    assert.equal(pruned.code, 0);
    assert.equal(pruned.value.enqueued, 0);
    assert.equal(pruned.value.pruned?.deletedObjects, PHOTOS + EXTRA);
    assert.equal(pruned.value.pruned?.prunedVersions, PHOTOS + EXTRA);
    for (const r of oldB.slice(0, 10))
      assert.equal(await store.head(topology.renditionsBucket, r.key), undefined, r.key);
    for (const r of sharedA.slice(0, 10))
      assert.ok(await store.head(topology.renditionsBucket, r.key), r.key);
    assert.equal((await rowsUnder(hash1)).length, 0);
    assert.equal(await renditionObjects(), before);
    // The counts were rebuilt without C1's rows; C2's are all there.
    assert.equal(await statusDone(), PHOTOS + EXTRA);
    const audit = await runCli(['audit', '--state', state, '--json']);
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    const audited = JSON.parse(audit.stdout) as { done: number; gapCount: number };
    assert.equal(audited.done, PHOTOS + EXTRA);
    assert.equal(audited.gapCount, 0);
  });
});
