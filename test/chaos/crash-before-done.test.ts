/**
 * The worst moment to die: after the last rendition is written, before the row says DONE. Real
 * `pixelmill worker` processes SIGKILL themselves there (PIXELMILL_FAULTS crashBeforeDoneRate 1:
 * each dies at its first image), again and again; then healthy workers take over. Every crashed
 * image must end DONE with exactly the renditions its row names (the same deterministic keys,
 * rewritten), and no lease may stay behind.
 *
 * A crashing worker holds a whole batch (up to 10 messages) when it dies, so enough images are
 * uploaded for every crash to take fresh ones, and the visibility timeout outlasts the crash
 * phase: no message is received by a crashing worker twice, so none nears the DLQ because of
 * crashes that were not its own. Production's visibility timeout (721 s) is far longer still.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { sleep } from '../helpers/temp.ts';
import {
  CHAOS_FULL,
  chaosSize,
  RENDITIONS_PER_IMAGE,
  SCENARIO_TIMEOUT_MS,
  settleAndJudge,
  snapshot,
  uploadChaosImages,
} from './harness.ts';
import { stopCleanly, stopWorkers, WorkerFleet } from './worker-processes.ts';

const CRASHES = chaosSize(10, 50);
/** A crashing worker takes a batch of up to 10 messages with it. */
const IMAGES = CRASHES * 10;
/** Crashing workers started at once. */
const WAVE = 5;
const VISIBILITY_SECONDS = CHAOS_FULL ? 60 : 20;
/** A wave's workers that have not crashed by then found no image; they are stopped. */
const WAVE_TIMEOUT_MS = 15_000;

describe('chaos: crash between the last rendition write and the DONE write', () => {
  it(`${CRASHES} crashes over ${IMAGES} images: 0 lost, 0 inconsistent rows`, {
    timeout: SCENARIO_TIMEOUT_MS,
  }, async (t) => {
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: VISIBILITY_SECONDS });
    const expected = await uploadChaosImages(env, 'crash', IMAGES);
    const fleet = new WorkerFleet(t, env.stateDir);

    const phaseStarted = Date.now();
    let crashes = 0;
    while (crashes < CRASHES) {
      const wave = Array.from({ length: Math.min(WAVE, CRASHES - crashes) }, () =>
        fleet.spawn({ concurrency: 1, faults: { crashBeforeDoneRate: 1 } }),
      );
      const timer = sleep(WAVE_TIMEOUT_MS).then(() => stopWorkers(wave));
      const exits = await Promise.race([Promise.all(wave.map((w) => w.exited)), timer]);
      for (const exit of exits) {
        // SIGKILL from itself is the crash; a clean exit is a worker stopped with nothing to do.
        if (exit.signal === 'SIGKILL') crashes++;
        else assert.equal(exit.code, 0, exit.stderr);
      }
    }
    const phaseSeconds = (Date.now() - phaseStarted) / 1000;

    // Each crash left its image at the crash point: every rendition written, the row PROCESSING.
    const atCrash = await snapshot(env);
    const atCrashPoint = atCrash.versionRows.filter(
      (r) =>
        r.status === 'PROCESSING' &&
        [...atCrash.renditions.keys()].filter((k) => k.startsWith(`${r.key}/`)).length ===
          RENDITIONS_PER_IMAGE,
    ).length;
    t.diagnostic(
      `${crashes} crashes in ${phaseSeconds.toFixed(1)} s; ${atCrashPoint} images left with every rendition written and no DONE`,
    );
    if (phaseSeconds < VISIBILITY_SECONDS) {
      // No crashing worker saw a message twice, so each crash stopped a different image.
      assert.ok(atCrashPoint >= crashes, `${atCrashPoint} images at the crash point`);
    }

    const healthy = [fleet.spawn({ concurrency: 2 }), fleet.spawn({ concurrency: 2 })];
    await settleAndJudge(
      t,
      env,
      {
        scenario: 'crash before DONE',
        faults: crashes,
        faultDetail: 'SIGKILL between the last rendition write and the DONE write',
        expected,
      },
      chaosSize(150_000, 480_000),
    );
    await stopCleanly(healthy, env.stateDir);
  });
});
