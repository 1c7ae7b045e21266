/**
 * Two crashes on one image, its message coming back before its own lease has lapsed. That is
 * what a restart of the local cloud does (it makes in-flight messages visible after 1 s,
 * README "Local state"), and what a failed DONE write does on AWS (the lease is kept and the
 * retry comes after a 2 s backoff): here the work queue's visibility timeout is simply 2 s.
 *
 * Each time the message comes back, the lease it meets was taken by an earlier receive of the
 * same message, which SQS only hands out again once that receive has let go: the new receive
 * takes the lease over at once. (Before that fix, the fourth receive acknowledged the message as
 * "a duplicate of an image in progress" and the image was left PROCESSING with no message.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';
import { type ExpectedVersion, expectNothingLostOrDoubled, snapshot } from './harness.ts';
import { chaosImage } from './images.ts';
import { stopWorkers, WorkerFleet } from './worker-processes.ts';

describe('chaos: a message back before its own lease lapses', () => {
  it('two crashes before DONE on one image, the message back within the lease: not lost', {
    timeout: 120_000,
  }, async (t) => {
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: 2 });
    const image = await chaosImage(0);
    const key = `uploads/early-return/${image.name}`;
    const expected: ExpectedVersion[] = [{ key, version: image.etag, status: 'DONE' }];
    const fleet = new WorkerFleet(t, env.stateDir);
    await env.store.put(env.cloud.topology.uploadsBucket, key, image.body);

    // Each crashing worker dies at the first image it brings to the brink of DONE.
    let crashes = 0;
    while (crashes < 2) {
      const crashing = fleet.spawn({ faults: { crashBeforeDoneRate: 1 } });
      const exit = await crashing.exited;
      assert.equal(exit.signal, 'SIGKILL', exit.stderr);
      crashes++;
    }
    const healthy = fleet.spawn();
    await eventually(
      'the image DONE, or its message gone',
      async () => {
        const state = await snapshot(env);
        const row = state.versionRows[0];
        const depth = state.workQueue;
        if (row?.status === 'DONE') return true;
        return depth.visible + depth.inFlight + depth.delayed === 0 ? true : undefined;
      },
      90_000,
      500,
    );
    await stopWorkers([healthy]);
    await expectNothingLostOrDoubled(t, env, {
      scenario: 'early return',
      faults: crashes,
      faultDetail: 'SIGKILL before DONE, the message back within the lease',
      expected,
    });
  });
});
