/**
 * The reliability operations on the embedded cloud, through real SDK calls: poison goes to the
 * DLQ at once, redrive moves only what matches and records it, the audit finds every kind of gap
 * and its repair completes them, the scheduled-audit handler publishes its metric.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DLQ_ATTRIBUTES } from '../../events/dead-letter.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { runAudit } from '../../lib/ops/audit.ts';
import { repairAudit } from '../../lib/ops/audit-repair.ts';
import { peekDeadLetters } from '../../lib/ops/dead-letters.ts';
import { redrive } from '../../lib/ops/redrive.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { auditHandler, lambdaContext } from '../helpers/audit.ts';
import {
  startTestCloud,
  startTestWorker,
  type TestCloud,
  uploadImage,
} from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';
import { claimRow } from '../helpers/table-rows.ts';
import { eventually } from '../helpers/temp.ts';

const hash = configHash(defaultConfig());

async function upload(env: TestCloud, key: string, seed: number) {
  return uploadImage(env, key, await photoLike(120, 80, seed));
}

async function statusOf(env: TestCloud, rowKey: { pk: string; sk: string }, wanted: string) {
  return eventually(
    `${rowKey.pk} ${wanted}`,
    async () => {
      const row = await env.table.get(rowKey);
      return row?.status === wanted ? row : undefined;
    },
    60_000,
  );
}

const drained = (env: TestCloud) =>
  eventually('the work queue to drain', async () => {
    const d = await env.workQueue.depth();
    return d.visible + d.inFlight + d.delayed === 0 ? true : undefined;
  });

describe('poison messages', () => {
  it('go to the DLQ on their first receive, with the reason attached, never a whole-batch retry', async (t) => {
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 30 });
    const worker = startTestWorker(t, env, { batchWindowSeconds: 1 });
    const good = await upload(env, 'uploads/poison/good.jpg', 1);
    await env.workQueue.send('{"this is": not json');
    await env.workQueue.send(JSON.stringify({ kind: 'pixelmill.job/v1', origin: 'repair' }));
    await statusOf(env, good, 'DONE');
    const ctx = await operatorContext(env);
    const letters = await eventually('two dead letters', async () => {
      const peeked = await peekDeadLetters(ctx, { holdSeconds: 5 });
      await peeked.release();
      return peeked.letters.length === 2 ? peeked.letters : undefined;
    });
    assert.deepEqual(letters.map((l) => l.reason).sort(), [
      'malformed-message',
      'malformed-message',
    ]);
    assert.ok(
      letters.every((l) => (l.lastError?.message ?? '').includes('is not a pixelmill work item')),
    );
    assert.ok(worker.invocations.every((i) => !i.wholeBatchFailed));
    const received = await env.deadLetterQueue.receive({
      max: 10,
      waitSeconds: 1,
      visibilityTimeout: 5,
    });
    assert.ok(
      received.every((m) => m.messageAttributes[DLQ_ATTRIBUTES.code] === 'malformed-message'),
    );
  });
});

describe('redrive', () => {
  it('moves only what matches, records each move, and ends it DONE with no second result', async (t) => {
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 2 });
    const failing = startTestWorker(t, env, {
      maxAttempts: 1,
      faults: {
        rules: [
          {
            service: 's3',
            commands: ['PutObjectCommand'],
            keyPrefix: 'uploads/a/',
            rate: 1,
            error: 'server-error',
          },
          {
            service: 's3',
            commands: ['PutObjectCommand'],
            keyPrefix: 'uploads/b/',
            rate: 1,
            error: 'throttle',
          },
        ],
      },
    });
    const a = await upload(env, 'uploads/a/one.jpg', 2);
    const b = await upload(env, 'uploads/b/two.jpg', 3);
    await statusOf(env, a, 'FAILED');
    await statusOf(env, b, 'FAILED');
    const ctx = await operatorContext(env);
    await eventually(
      'both in the DLQ',
      async () => {
        const d = await env.deadLetterQueue.depth();
        return d.visible === 2 ? true : undefined;
      },
      30_000,
    );
    await failing.mapping.stop();

    const plan = await redrive(
      ctx,
      { reason: 'internalerror' },
      { dryRun: true, ratePerSecond: 100 },
    );
    assert.equal(plan.examined, 2);
    assert.deepEqual(
      plan.plan.map((i) => [i.letter.item?.key, i.decision.action]),
      [['uploads/a/one.jpg', 'move']],
    );
    assert.equal(
      (await env.deadLetterQueue.depth()).visible + (await env.deadLetterQueue.depth()).inFlight,
      2,
      'a dry run changes nothing',
    );

    const moved = await redrive(
      ctx,
      { reason: 'InternalError', prefix: 'uploads/a/' },
      { dryRun: false, ratePerSecond: 100 },
    );
    assert.equal(moved.moved.length, 1);
    // Until a worker takes it, the image is on its way again: neither failed nor a gap.
    assert.equal((await env.table.get(a))?.status, 'RETRYING');
    const waiting = await runAudit(ctx, { graceSeconds: 0 });
    assert.deepEqual([waiting.inFlight, waiting.inDeadLetterQueue, waiting.gaps.length], [1, 1, 0]);

    startTestWorker(t, env);
    const done = await statusOf(env, a, 'DONE');
    assert.equal(done.redrives, 1);
    assert.ok(done.history?.some((h) => h.event === 'redriven'));
    assert.equal(done.renditions?.length, 6);
    assert.equal((await env.table.get(b))?.status, 'FAILED', 'the other reason stays in the DLQ');
    const renditions: string[] = [];
    for await (const o of env.store.list(env.cloud.topology.renditionsBucket, 'uploads/a/'))
      renditions.push(o.key);
    assert.equal(renditions.length, 6, 'one rendition set');
  });
});

describe('audit', () => {
  it('finds a lost event, a stuck lease and missing renditions, and its repair completes them', async (t) => {
    const env = await startTestCloud(t, {
      visibilityTimeoutSeconds: 2,
      cloud: { deliveriesOf: (e) => (e.detail.object.key.endsWith('lost.jpg') ? 0 : 1) },
    });
    startTestWorker(t, env);
    const done = await upload(env, 'uploads/audit/done.jpg', 4);
    const lost = await upload(env, 'uploads/audit/lost.jpg', 5);
    const damaged = await upload(env, 'uploads/audit/damaged.jpg', 6);
    const doneRow = await statusOf(env, damaged, 'DONE');
    await statusOf(env, done, 'DONE');
    await drained(env);
    const firstRendition = doneRow.renditions?.[0]?.key ?? '';
    await env.clients.s3.send(
      new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
        Bucket: env.cloud.topology.renditionsBucket,
        Key: firstRendition,
      }),
    );
    const ctx = await operatorContext(env);
    const report = await runAudit(ctx, { graceSeconds: 0 });
    assert.equal(report.objects, 3);
    assert.equal(report.done, 1);
    assert.deepEqual(report.gaps.map((g) => [g.kind, g.object.key]).sort(), [
      ['missing-renditions', 'uploads/audit/damaged.jpg'],
      ['no-row', 'uploads/audit/lost.jpg'],
    ]);
    const repaired = await repairAudit(ctx, report.gaps);
    assert.equal(repaired.requeued, 2);
    await statusOf(env, lost, 'DONE');
    await eventually('the rendition restored', async () =>
      (await env.store.head(env.cloud.topology.renditionsBucket, firstRendition))
        ? true
        : undefined,
    );
    await drained(env);
    const after = await runAudit(ctx, { graceSeconds: 0 });
    assert.equal(after.gaps.length, 0, JSON.stringify(after.gaps));
    assert.equal(after.done, 3);
  });

  it('reports as stuck a claim whose worker vanished long ago, and as in flight a live one', async (t) => {
    const env = await startTestCloud(t);
    const key = 'uploads/audit/stuck.jpg';
    // The cloud's event is still queued (no worker runs); the row was claimed an hour ago.
    const rowKey = await uploadImage(env, key, await photoLike(64, 48, 7));
    const hourAgo = new Date(Date.now() - 3_600_000);
    await claimRow(env.table, rowKey, {
      owner: 'gone',
      leaseUntil: hourAgo.getTime() + 15_000,
      now: hourAgo,
    });
    const ctx = await operatorContext(env);
    const report = await runAudit(ctx, { graceSeconds: 60 });
    assert.deepEqual(
      report.gaps.map((g) => g.kind),
      ['stuck'],
    );
    // The same stale claim whose message SQS moved to the DLQ (its last failure could not be
    // written): in the DLQ, not a gap, not counted twice.
    const [event] = await env.workQueue.receive({ max: 1, waitSeconds: 1 });
    assert.ok(event);
    await env.deadLetterQueue.send(event.body);
    await env.workQueue.deleteBatch([event.receiptHandle]);
    const moved = await runAudit(ctx, { graceSeconds: 60 });
    assert.deepEqual(moved.gaps, []);
    assert.equal(moved.inDeadLetterQueue, 1);
    const [letter] = await env.deadLetterQueue.receive({ max: 1, waitSeconds: 5 });
    assert.ok(letter);
    await env.deadLetterQueue.deleteBatch([letter.receiptHandle]);
    await claimRow(env.table, rowKey, {
      owner: 'alive',
      leaseUntil: Date.now() + 15_000,
      receiveCount: 2,
    });
    const live = await runAudit(ctx, { graceSeconds: 60 });
    assert.equal(live.gaps.length, 0);
    assert.equal(live.inFlight, 1);
  });

  it('runs as the scheduled Lambda handler: publishes AuditGaps and repairs', async (t) => {
    const env = await startTestCloud(t, { cloud: { deliveriesOf: () => 0 } });
    await upload(env, 'uploads/scheduled/a.jpg', 8);
    const lines: string[] = [];
    const ctx = await operatorContext(env);
    const handler = auditHandler(env, ctx, hash, lines, {
      repair: true,
      serviceName: 'audit-test',
    });
    const result = await handler({}, lambdaContext());
    assert.deepEqual({ gaps: result.gaps, requeued: result.requeued }, { gaps: 1, requeued: 1 });
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => '_aws' in l);
    assert.ok(emf, 'an EMF metrics blob');
    assert.equal(emf.AuditGaps, 1);
    assert.equal(emf.service, 'audit-test');
    assert.equal((await env.workQueue.depth()).visible, 1, 'the gap was re-enqueued');
  });
});

describe('long images', () => {
  it('keep their message invisible while they are worked on (visibility heartbeat)', async (t) => {
    // A 1-second visibility timeout, a lease renewed every 300 ms: without the heartbeat the
    // message would come back during the slow encode and be received a second time.
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 1 });
    const slow = (await import('../../lib/config/parse.ts')).parseConfig(
      { presets: [{ name: 'slow', width: 1200, formats: [{ format: 'avif', effort: 6 }] }] },
      'slow',
    );
    const worker = startTestWorker(t, env, {
      config: slow,
      settings: { lease: { leaseMs: 2000, renewEveryMs: 300 } },
    });
    const key = 'uploads/slow/photo.jpg';
    const rowKey = await uploadImage(env, key, await photoLike(1200, 800, 9), slow);
    const row = await statusOf(env, rowKey, 'DONE');
    assert.ok((row.processingMs ?? 0) > 1500, `slow enough to matter: ${row.processingMs} ms`);
    assert.equal(row.attempts, 1, 'claimed once');
    await drained(env);
    const deliveries = worker.responses.reduce((n, r) => n + r.ids.length, 0);
    assert.equal(
      deliveries,
      1,
      'its message was delivered to the worker once, not again mid-encode',
    );
  });
});
