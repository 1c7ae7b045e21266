/**
 * The DLQ drill, as an operator runs it, every step through the CLI: a class of images fails
 * every time (a fault on one prefix), reaches the DLQ and is listed with its reason; the cause is
 * fixed (the worker restarted without the fault); a dry run plans the redrive and changes
 * nothing; the redrive moves exactly those; every image ends DONE, the audit finds no gap, and no
 * image was processed into a second result.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { topology } from '../../infra/topology.ts';
import { createAwsClients } from '../../lib/aws/clients.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import type { PipelineStatus } from '../../lib/ops/status.ts';
import { cliJson, startCliStack, startCliWorker, stopCli } from '../helpers/cli-stack.ts';
import { writePhotos } from '../helpers/photo-dirs.ts';
import { eventually, sleep, tempStateDir } from '../helpers/temp.ts';

const GOOD = 4;
const BROKEN = 3;
const FAULTS = {
  rules: [
    {
      service: 's3',
      commands: ['PutObjectCommand'],
      keyPrefix: 'uploads/drill/broken/',
      rate: 1,
      error: 'server-error',
    },
  ],
  backoff: { baseSeconds: 1, factor: 1, maxSeconds: 1 },
};

async function json<T>(args: string[]): Promise<T> {
  return (await cliJson<T>(args)).value;
}

interface DlqList {
  count: number;
  messages: { key: string; reason: string; attempts: number; lastError: { message: string } }[];
}
interface Audit {
  done: number;
  inDeadLetterQueue: number;
  gaps: unknown[];
}
interface Redrive {
  dryRun: boolean;
  matched: number;
  moved: { key: string }[];
}

describe('the DLQ drill', () => {
  it('fails a class of images, lists them, redrives them once fixed, and proves nothing is missing', {
    timeout: 240_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'drill');
    const input = join(dir, 'drill');
    const photos = { width: 160, height: 120 };
    await writePhotos(join(input, 'good'), { ...photos, count: GOOD, name: (i) => `g${i}.jpg` });
    await writePhotos(join(input, 'broken'), {
      ...photos,
      count: BROKEN,
      seed: 50,
      name: (i) => `b${i}.jpg`,
    });

    const stack = await startCliStack(t, state);

    const faulty = startCliWorker(t, state, { faults: FAULTS });
    const ingested = await json<{ sources: { uploaded: number }[] }>([
      'ingest',
      input,
      '--state',
      state,
      '--json',
    ]);
    assert.equal(ingested.sources[0]?.uploaded, GOOD + BROKEN);

    const listed = await eventually(
      'the broken images in the DLQ',
      async () => {
        const list = await json<DlqList>(['dlq', 'list', '--state', state, '--json']);
        return list.count === BROKEN ? list : undefined;
      },
      120_000,
      500,
    );
    assert.deepEqual(
      listed.messages.map((m) => m.key).sort(),
      [0, 1, 2].map((i) => `uploads/drill/broken/b${i}.jpg`),
    );
    for (const m of listed.messages) {
      assert.equal(m.reason, 'InternalError');
      assert.equal(m.attempts, topology.maxReceiveCount);
      assert.match(m.lastError.message, /Injected server-error on PutObjectCommand/);
    }
    // Listing hid the messages while it read them, then let them go (visible after 1 s): status
    // counts them visible again, and the DLQ alarm condition agrees with the list.
    await sleep(1500);
    const seen = await cliJson<PipelineStatus>(['status', '--state', state, '--json']);
    assert.equal(seen.code, 1, 'an alarm condition holds');
    assert.deepEqual(
      [seen.value.deadLetterQueue.visible, seen.value.deadLetterQueue.inFlight],
      [BROKEN, 0],
    );
    const dlqAlarm = seen.value.alarms.find((a) => a.key === 'workDeadLetterQueue');
    assert.deepEqual([dlqAlarm?.state, dlqAlarm?.value], ['ALARM', BROKEN]);
    const before = await json<Audit>(['audit', '--state', state, '--grace', '1', '--json']);
    assert.deepEqual(
      [before.done, before.inDeadLetterQueue, before.gaps.length],
      [GOOD, BROKEN, 0],
    );

    // The fix: the worker runs again without the fault.
    await stopCli(faulty);
    const fixed = startCliWorker(t, state);

    const plan = await json<Redrive>([
      'redrive',
      '--reason',
      'InternalError',
      '--dry-run',
      '--state',
      state,
      '--json',
    ]);
    assert.deepEqual([plan.dryRun, plan.matched, plan.moved.length], [true, BROKEN, 0]);
    assert.equal(
      (await json<DlqList>(['dlq', 'list', '--state', state, '--json'])).count,
      BROKEN,
      'the dry run changed nothing',
    );

    const moved = await json<Redrive>([
      'redrive',
      '--reason',
      'InternalError',
      '--state',
      state,
      '--json',
    ]);
    assert.equal(moved.moved.length, BROKEN);
    const after = await eventually(
      'every image DONE',
      async () => {
        const audit = await json<Audit>(['audit', '--state', state, '--grace', '1', '--json']);
        return audit.done === GOOD + BROKEN ? audit : undefined;
      },
      60_000,
      500,
    );
    assert.equal(after.gaps.length, 0);
    assert.equal((await json<DlqList>(['dlq', 'list', '--state', state, '--json'])).count, 0);

    // No second result: one version row and one rendition set per image.
    await stopCli(fixed);
    await stopCli(stack.process);
    const cloud = await startLocalCloud({ stateDir: state });
    const clients = createAwsClients(cloud.target);
    try {
      const rows = [];
      for await (const r of new ImageTable(clients.dynamo, topology.table).scan())
        if (isVersionRow(r)) rows.push(r);
      assert.equal(rows.length, GOOD + BROKEN);
      assert.ok(
        rows
          .filter((r) => r.key.includes('/broken/'))
          .every((r) => r.redrives === 1 && r.status === 'DONE'),
      );
      let renditions = 0;
      for await (const _ of new ObjectStore(clients.s3).list(
        topology.renditionsBucket,
        'uploads/drill/',
      ))
        renditions++;
      assert.equal(renditions, 6 * (GOOD + BROKEN));
    } finally {
      clients.destroy();
      await cloud.stop();
    }
  });
});
