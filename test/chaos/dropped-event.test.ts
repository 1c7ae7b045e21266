/**
 * S3 → EventBridge delivery loses an event (the bridge's test hook skips one upload on purpose):
 * that image has no row and nothing in any queue will ever give it one. `pixelmill audit` must
 * find exactly that gap, `pixelmill audit --repair` must re-enqueue it, and the worker must finish
 * it, after which the audit is clean. The real CLI runs against the test's cloud.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { sleep } from '../helpers/temp.ts';
import {
  CHAOS_FULL,
  chaosSize,
  type ExpectedVersion,
  settleAndJudge,
  waitUntilSettled,
} from './harness.ts';
import { chaosImages } from './images.ts';

const IMAGES = chaosSize(10, 100);
/** Uploads younger than this count as in flight; the smallest the CLI accepts. */
const GRACE_SECONDS = 1;

/** The part of `pixelmill audit --json` read here. */
interface AuditJson {
  readonly objects: number;
  readonly done: number;
  readonly gaps: readonly {
    readonly kind: string;
    readonly key: string;
    readonly version: string;
  }[];
  readonly repair: { readonly requeued: number; readonly skipped: number } | null;
}

describe('chaos: a dropped event', () => {
  it(`one of ${IMAGES} upload events never delivered: audit finds it, --repair completes it`, {
    timeout: CHAOS_FULL ? 300_000 : 120_000,
  }, async (t) => {
    const images = await chaosImages(IMAGES);
    const lost = images[Math.floor(IMAGES / 2)];
    assert.ok(lost);
    const lostKey = `uploads/dropped/${lost.name}`;
    const env = await startTestCloud(t, {
      cloud: { deliveriesOf: (event) => (event.detail.object.key === lostKey ? 0 : 1) },
    });
    const worker = startTestWorker(t, env, { concurrency: 2 });
    const bucket = env.cloud.topology.uploadsBucket;
    const expected: ExpectedVersion[] = [];
    for (const image of images) {
      const key = `uploads/dropped/${image.name}`;
      await env.store.put(bucket, key, image.body);
      expected.push({ key, version: image.etag, status: 'DONE' });
    }
    assert.equal(env.cloud.bridge.counts.dropped, 1, 'the bridge dropped one event');
    await waitUntilSettled(
      env,
      expected.filter((e) => e.key !== lostKey),
      CHAOS_FULL ? 240_000 : 60_000,
    );
    await sleep(GRACE_SECONDS * 1000);

    const audit = (...extra: string[]) =>
      runCli([
        'audit',
        '--json',
        '--grace',
        String(GRACE_SECONDS),
        '--state',
        env.stateDir,
        ...extra,
      ]);
    const found = await audit();
    assert.equal(found.code, 1, `a gap remains, so exit 1: ${found.stderr}`);
    const before = JSON.parse(found.stdout) as AuditJson;
    assert.deepEqual(
      before.gaps.map((g) => [g.kind, g.key, g.version]),
      [['no-row', lostKey, lost.etag]],
      'exactly the dropped upload, as a lost event',
    );
    assert.equal(before.done, IMAGES - 1);

    const repaired = await audit('--repair');
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.deepEqual((JSON.parse(repaired.stdout) as AuditJson).repair, {
      requeued: 1,
      skipped: 0,
    });

    await settleAndJudge(
      t,
      env,
      {
        scenario: 'dropped event',
        faults: 1,
        faultDetail: 'an S3 event the bridge never delivered',
        expected,
      },
      CHAOS_FULL ? 240_000 : 60_000,
    );
    const row = (await env.table.rowsOfKey(`${bucket}/${lostKey}`)).find(
      (r) => isVersionRow(r) && r.version === lost.etag,
    );
    assert.ok(
      row?.history?.some((h) => h.event === 'claimed' && h.origin === 'repair'),
      'the repair job did the work',
    );
    const clean = await audit();
    assert.equal(clean.code, 0, clean.stdout);
    const after = JSON.parse(clean.stdout) as AuditJson;
    assert.deepEqual(after.gaps, []);
    assert.equal(after.done, IMAGES);
    assert.equal(worker.invocations.filter((i) => i.wholeBatchFailed).length, 0);
  });
});
