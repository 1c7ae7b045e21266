/**
 * At-least-once delivery at its worst: the bridge delivers every S3 event three times, so three
 * messages race for each image, often in the same batch. Exactly one of them may do the work;
 * the others must end as no-ops, leaving one row and one rendition set per image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { chaosSize, SCENARIO_TIMEOUT_MS, settleAndJudge, uploadChaosImages } from './harness.ts';

const IMAGES = chaosSize(30, 300);
const DELIVERIES = 3;

describe('chaos: duplicate deliveries', () => {
  it(`${IMAGES} images, each event delivered ${DELIVERIES}×: one row and one rendition set each`, {
    timeout: SCENARIO_TIMEOUT_MS,
  }, async (t) => {
    const env = await startTestCloud(t, { cloud: { deliveriesOf: () => DELIVERIES } });
    const worker = startTestWorker(t, env, { concurrency: 2 });
    const expected = await uploadChaosImages(env, 'duplicates', IMAGES);
    assert.equal(env.cloud.bridge.counts.delivered, IMAGES, 'every upload raised its event');

    const deliveries = IMAGES * DELIVERIES;
    const state = await settleAndJudge(t, env, {
      scenario: 'duplicates',
      faults: deliveries - IMAGES,
      faultDetail: `extra deliveries: ${deliveries} messages for ${IMAGES} events`,
      expected,
    });
    // Every message was received and acknowledged; only one per image did the work (a second
    // claim would mean a duplicate was processed again, invisible in the deterministic keys).
    const handled = worker.invocations.reduce((n, i) => n + i.deleted, 0);
    assert.equal(handled, deliveries, 'every delivery was acknowledged once');
    const reprocessed = state.versionRows.filter((r) => r.attempts !== 1);
    assert.deepEqual(
      reprocessed.map((r) => `${r.key}: ${r.attempts} attempts`),
      [],
      'no image claimed twice',
    );
    assert.equal(worker.invocations.filter((i) => i.wholeBatchFailed).length, 0);
  });
});
