/**
 * `kill -9` of worker processes at random moments of an ingest, each restarted at once, as an
 * operator (or Lambda) would. A killed worker leaves claimed rows with live leases, renditions
 * half written and messages in flight; all of it must be taken over, none of it lost or done
 * twice into a second result.
 *
 * The work queue's visibility timeout is 20 s here, longer than the 15 s lease, as in production
 * (where it is derived: 6 × the 120 s function timeout + the batching window = 721 s): a dead
 * worker's messages come back once its leases have lapsed.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { finished, spawnCli } from '../helpers/cli.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { sleep, tempDir } from '../helpers/temp.ts';
import { CHAOS_FULL, chaosSize, type ExpectedVersion, settleAndJudge } from './harness.ts';
import { chaosImages, writeImages } from './images.ts';
import { chaosSeed, seededRandom } from './random.ts';
import { stopCleanly, WorkerFleet, type WorkerProcess } from './worker-processes.ts';

const IMAGES = chaosSize(60, 500);
const KILLS = chaosSize(3, 12);
const WORKERS = 2;
const VISIBILITY_SECONDS = 20;
/** Progress that stalls this long ends the killing; the verdict then says what stalled. */
const STALL_MS = 60_000;

/** The part of `pixelmill ingest --json` read here. */
interface IngestReport {
  readonly sources: readonly { readonly uploaded: number }[];
}

describe('chaos: kill -9 of worker processes', () => {
  it(`${KILLS} kills across a ${IMAGES}-image ingest on ${WORKERS} workers: 0 lost, 0 doubled`, {
    timeout: CHAOS_FULL ? 600_000 : 180_000,
  }, async (t) => {
    const seed = chaosSeed();
    t.diagnostic(`seed ${seed} (PIXELMILL_CHAOS_SEED=${seed} replays the kill moments)`);
    const random = seededRandom(seed);
    const env = await startTestCloud(t, { visibilityTimeoutSeconds: VISIBILITY_SECONDS });
    const input = await tempDir(t, 'chaos-kill-input');
    const images = await chaosImages(IMAGES);
    await writeImages(input, images);

    const workers: WorkerProcess[] = [];
    const fleet = new WorkerFleet(t, env.stateDir);
    const start = () => fleet.spawn({ concurrency: 2 });
    for (let i = 0; i < WORKERS; i++) workers.push(start());
    const ingest = finished(spawnCli(['ingest', input, '--state', env.stateDir, '--json']));

    // Kill moments: random points of progress, so every kill lands while work remains.
    const moments = Array.from({ length: KILLS }, () =>
      Math.floor(IMAGES * (0.05 + 0.85 * random())),
    ).sort((a, b) => a - b);
    const done = async () => {
      let n = 0;
      for await (const row of env.table.scan()) if (isVersionRow(row) && row.status === 'DONE') n++;
      return n;
    };
    let kills = 0;
    for (const moment of moments) {
      const stalled = Date.now() + STALL_MS;
      while ((await done()) < moment && Date.now() < stalled) await sleep(50);
      const index = Math.floor(random() * workers.length);
      const victim = workers[index];
      if (!victim) continue;
      victim.kill('SIGKILL');
      const exit = await victim.exited;
      assert.equal(exit.signal, 'SIGKILL', exit.stderr);
      kills++;
      workers[index] = start();
    }

    const uploaded = await ingest;
    assert.equal(uploaded.code, 0, uploaded.stderr);
    const report = JSON.parse(uploaded.stdout) as IngestReport;
    assert.equal(report.sources[0]?.uploaded, IMAGES);
    // A directory goes under its own name: uploads/<dir>/<file>.
    const expected: ExpectedVersion[] = images.map((image) => ({
      key: `uploads/${basename(input)}/${image.name}`,
      version: image.etag,
      status: 'DONE',
    }));
    const state = await settleAndJudge(
      t,
      env,
      {
        scenario: 'kill -9',
        faults: kills,
        faultDetail: `kill -9 of a worker process, ${fleet.size} processes in all`,
        expected,
      },
      CHAOS_FULL ? 480_000 : 150_000,
    );
    const takenOver = state.versionRows.filter((r) => r.attempts > 1).length;
    t.diagnostic(`${takenOver} images taken over from a killed worker's claim`);

    await stopCleanly(workers, env.stateDir);
  });
});
