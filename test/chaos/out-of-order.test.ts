/**
 * Three versions uploaded to one key, their events delivered newest first: the key's LATEST row
 * must describe the newest version, whatever order the events arrive or finish in.
 *
 * The bridge drops these uploads' events (the test hook) and the test delivers the very same
 * events itself, in reverse order. The local uploads bucket is not versioned, so the two older
 * versions' bytes are gone by the time their events arrive: they end REJECTED `not-found` (a
 * permanent outcome, acknowledged; on AWS the versioned bucket would still hold them and they
 * would end DONE), and neither may take the LATEST row from the newest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ObjectCreatedEvent } from '../../events/object-created.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';
import { CHAOS_FULL, chaosSize, type ExpectedVersion, settleAndJudge } from './harness.ts';
import { chaosImage } from './images.ts';

const KEYS = chaosSize(6, 50);
const VERSIONS = 3;
const PREFIX = 'uploads/versions/';

describe('chaos: versions delivered newest first', () => {
  it(`${KEYS} keys × ${VERSIONS} versions, events newest first: LATEST is the newest`, {
    timeout: CHAOS_FULL ? 600_000 : 180_000,
  }, async (t) => {
    const dropped = new Map<string, ObjectCreatedEvent[]>();
    const env = await startTestCloud(t, {
      cloud: {
        deliveriesOf: (event) => (event.detail.object.key.startsWith(PREFIX) ? 0 : 1),
        onEvent: (event, outcome) => {
          if (outcome !== 'dropped') return;
          const list = dropped.get(event.detail.object.key) ?? [];
          list.push(event);
          dropped.set(event.detail.object.key, list);
        },
      },
    });
    const worker = startTestWorker(t, env, { concurrency: 2 });
    const bucket = env.cloud.topology.uploadsBucket;
    const expected: ExpectedVersion[] = [];
    for (let k = 0; k < KEYS; k++) {
      const key = `${PREFIX}${String(k).padStart(3, '0')}.jpg`;
      for (let v = 0; v < VERSIONS; v++) {
        const image = await chaosImage(k, v);
        await env.store.put(bucket, key, image.body);
        const newest = v === VERSIONS - 1;
        expected.push({
          key,
          version: image.etag,
          ...(newest
            ? { status: 'DONE', newest }
            : { status: 'REJECTED', reason: 'not-found' as const }),
        });
      }
    }
    assert.equal(env.cloud.bridge.counts.dropped, KEYS * VERSIONS);

    // Newest first. Half the keys wait for the newest to finish before the older ones arrive;
    // the other half get all three back to back, so they race through the workers.
    const keys = [...dropped.keys()].sort();
    const patient = new Set(keys.slice(0, Math.ceil(keys.length / 2)));
    const eventsOf = (key: string) => {
      const events = dropped.get(key) ?? [];
      assert.equal(events.length, VERSIONS, `${key}: one event per upload`);
      const sequencers = events.map((e) => e.detail.object.sequencer);
      assert.deepEqual(sequencers, [...sequencers].sort(), 'the bridge orders sequencers');
      return [...events].reverse();
    };
    for (const key of keys) {
      const [newest, ...older] = eventsOf(key);
      await env.workQueue.send(JSON.stringify(newest));
      if (!patient.has(key)) {
        for (const e of older) await env.workQueue.send(JSON.stringify(e));
      }
    }
    const newestOfPatient = expected.filter((e) => e.newest && patient.has(e.key));
    await eventually('the newest versions to finish', async () => {
      for (const e of newestOfPatient) {
        const rows = await env.table.rowsOfKey(`${bucket}/${e.key}`);
        if (!rows.some((r) => r.version === e.version && r.status === 'DONE')) return undefined;
      }
      return true;
    });
    for (const key of patient) {
      for (const e of eventsOf(key).slice(1)) await env.workQueue.send(JSON.stringify(e));
    }

    await settleAndJudge(
      t,
      env,
      {
        scenario: 'versions newest first',
        faults: KEYS * (VERSIONS - 1),
        faultDetail: 'events delivered after a newer version of their key',
        expected,
      },
      CHAOS_FULL ? 300_000 : 120_000,
    );
    assert.equal(worker.invocations.filter((i) => i.wholeBatchFailed).length, 0);
  });
});
