/**
 * `pixelmill status --json` against a pipeline run as separate processes: its numbers are the
 * queue attributes and the metadata table, read independently here through the SDK. Readings
 * are compared while the workers are stopped (the numbers hold still), and bracketed by direct
 * reads while a worker runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import { topology } from '../../infra/topology.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { Queue } from '../../lib/aws/queue.ts';
import type { PipelineStatus } from '../../lib/ops/status.ts';
import { cliJson, startCliStack, startCliWorker, stopCli } from '../helpers/cli-stack.ts';
import { photoRunDir } from '../helpers/photo-dirs.ts';
import { eventually } from '../helpers/temp.ts';

const IMAGES = 24;

describe('pixelmill status', () => {
  it('reports what the queues and the table hold, before, during and after a run', {
    timeout: 180_000,
  }, async (t) => {
    const { state, input } = await photoRunDir(t, 'status', 'batch', {
      count: IMAGES,
      width: 640,
      height: 480,
    });
    const stack = await startCliStack(t, state);
    const work = await Queue.byName(stack.clients.sqs, topology.workQueue);
    const dlq = await Queue.byName(stack.clients.sqs, topology.deadLetterQueue);
    const table = new ImageTable(stack.clients.dynamo, topology.table);
    const status = async () =>
      (await cliJson<PipelineStatus>(['status', '--state', state, '--json'])).value;
    const rows = async () => {
      const found: ImageRow[] = [];
      for await (const r of table.scan()) if (isVersionRow(r)) found.push(r);
      return found;
    };
    const count = (list: readonly ImageRow[], s: string) =>
      list.filter((r) => r.status === s).length;

    // Uploaded, no worker yet: everything is waiting.
    await cliJson(['ingest', input, '--state', state, '--json']);
    const queued = await status();
    assert.deepEqual(
      [queued.workQueue.visible, queued.workQueue.inFlight, queued.pending, queued.images.total],
      [IMAGES, 0, IMAGES, 0],
    );
    assert.ok(queued.workQueue.oldestAgeSeconds !== null && queued.workQueue.oldestAgeSeconds >= 0);
    assert.equal(queued.etaSeconds, null, 'nothing finished yet: no rate, no ETA');
    assert.equal(
      queued.etaUnknownBecause,
      `nothing finished in the last minute; ${IMAGES} images wait and none is in flight: is a worker running?`,
    );

    // Part of the run, then the worker stops: status must match direct reads exactly.
    const worker = startCliWorker(t, state, { concurrency: 1 });
    await eventually(
      'some images DONE',
      async () => (count(await rows(), 'DONE') >= 4 ? true : undefined),
      90_000,
      250,
    );
    await stopCli(worker);
    const frozen = await status();
    const depth = await work.depth();
    const table1 = await rows();
    assert.ok(table1.length > 0 && table1.length < IMAGES, `mid-run: ${table1.length} rows`);
    assert.deepEqual(
      {
        visible: frozen.workQueue.visible,
        inFlight: frozen.workQueue.inFlight,
        pending: frozen.pending,
        done: frozen.images.done,
        total: frozen.images.total,
      },
      {
        visible: depth.visible,
        inFlight: depth.inFlight,
        pending: depth.visible + depth.inFlight + depth.delayed,
        done: count(table1, 'DONE'),
        total: table1.length,
      },
    );
    assert.equal(frozen.images.done + frozen.pending, IMAGES, 'every image done or pending');
    assert.equal(frozen.throughput.finishedLastMinute, frozen.images.done);
    assert.ok(frozen.etaSeconds !== null && frozen.etaSeconds > 0, 'a rate, so an ETA');
    assert.equal(frozen.etaUnknownBecause, null);

    // Running: each reading lies between direct reads taken just before and just after.
    startCliWorker(t, state, { concurrency: 1 });
    const before = count(await rows(), 'DONE');
    const live = await status();
    const after = count(await rows(), 'DONE');
    assert.ok(
      live.images.done >= before && live.images.done <= after,
      `${before} ≤ ${live.images.done} ≤ ${after}`,
    );

    const end = await eventually(
      'every image DONE',
      async () => {
        const s = await status();
        return s.images.done === IMAGES && s.pending === 0 ? s : undefined;
      },
      120_000,
      500,
    );
    assert.equal(end.etaSeconds, 0);
    assert.deepEqual(
      end.alarms.filter((a) => a.state === 'ALARM').map((a) => a.key),
      [],
    );

    // A poison message goes to the DLQ: the DLQ condition holds and status exits 1.
    await work.send('{"not":"an event"}');
    await eventually('the poison in the DLQ', async () =>
      (await dlq.depth()).visible === 1 ? true : undefined,
    );
    const alarmed = await cliJson<PipelineStatus>(['status', '--state', state, '--json']);
    assert.equal(alarmed.code, 1);
    const dlqAlarm = alarmed.value.alarms.find((a) => a.key === 'workDeadLetterQueue');
    assert.deepEqual([dlqAlarm?.state, dlqAlarm?.value], ['ALARM', 1]);
    assert.equal(alarmed.value.deadLetterQueue.visible, 1);
  });
});
