/**
 * Keys however EventBridge spells them (issue 13): AWS documents `detail.object.key` as the raw
 * key, but form-encoded keys are seen in the field (Powertools for Python decodes them). Through
 * the real worker on the embedded cloud: each object, uploaded with its real key, is announced by
 * an event naming its key raw, and by another naming it form-encoded (the uploads' own events are
 * dropped, so only these two reach the worker); both end on the one row of the real key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImageRow, imageRowKey, isVersionRow } from '../../events/image-row.ts';
import { buildObjectCreatedEvent } from '../../events/object-created.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { formDecodedKey } from '../../lib/pipeline/resolve-event-key.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';

/** As S3's own notifications encode a key: form encoding, `/` kept. */
const formEncoded = (key: string) =>
  encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/');

const KEYS = [
  'uploads/keys/with space.jpg',
  'uploads/keys/plus+sign.jpg',
  'uploads/keys/100% sure.jpg',
  'uploads/keys/naïve café/été.jpg',
  'uploads/keys/a+b c%2B.jpg',
];

describe('event keys, raw or form-encoded', () => {
  it('decodes form encoding, and refuses what is not one', () => {
    assert.equal(formDecodedKey('uploads/a+b%20c.jpg'), 'uploads/a b c.jpg');
    assert.equal(formDecodedKey('uploads/plain.jpg'), undefined, 'reads the same both ways');
    assert.equal(formDecodedKey('uploads/100%.jpg'), undefined, '% without two hex digits');
    for (const key of KEYS) assert.equal(formDecodedKey(formEncoded(key)), key);
  });

  it('processes each object once, under its real key, whichever way its events spell it', async (t) => {
    const env = await startTestCloud(t, { cloud: { deliveriesOf: () => 0 } });
    const config = defaultConfig();
    startTestWorker(t, env, { config });
    const { topology } = env.cloud;
    const bucket = topology.uploadsBucket;
    const announce = async (key: string, bytes: Buffer, sequencer: string) => {
      await env.workQueue.send(
        JSON.stringify(
          buildObjectCreatedEvent({
            bucket,
            key,
            size: bytes.length,
            etag: expectedEtag(bytes),
            sequencer,
            reason: 'PutObject',
            region: topology.region,
            account: '000000000000',
          }),
        ),
      );
    };
    // A decoy: an object at the key's encoded spelling, with other bytes. An encoded event for
    // "two words.jpg" names "two+words.jpg", which exists: the ETag says it is not the one.
    const decoy = await photoLike(64, 48, 99);
    await env.store.put(bucket, 'uploads/keys/two+words.jpg', decoy);
    const expected: { key: string; etag: string }[] = [];
    for (const [i, key] of [...KEYS, 'uploads/keys/two words.jpg'].entries()) {
      const bytes = await photoLike(64, 48, i + 1);
      await env.store.put(bucket, key, bytes);
      expected.push({ key, etag: expectedEtag(bytes) });
      await announce(key, bytes, `00${String(i).padStart(16, '0')}`);
      await announce(formEncoded(key), bytes, `00${String(i).padStart(16, '0')}`);
    }
    for (const { key, etag } of expected) {
      const rowKey = imageRowKey({ bucket, key, version: etag, configHash: configHash(config) });
      const row: ImageRow = await eventually(
        `DONE for ${key}`,
        async () => {
          const r = await env.table.get(rowKey);
          return r?.status === 'DONE' ? r : undefined;
        },
        60_000,
        200,
      );
      assert.equal(row.key, key);
      assert.equal(row.attempts, 1, `${key}: one claim, the other event a duplicate`);
      for (const r of row.renditions ?? []) {
        assert.ok(r.key.startsWith(`${key}/`), `${r.key} is under the real key`);
      }
    }
    // Nothing was made for the spellings: every version row is one of the real keys.
    await eventually('the queue to drain', async () => {
      const d = await env.workQueue.depth();
      return d.visible + d.inFlight + d.delayed === 0 ? true : undefined;
    });
    const keys = new Set<string>();
    for await (const row of env.table.scan()) if (isVersionRow(row)) keys.add(row.key);
    assert.deepEqual([...keys].sort(), expected.map((e) => e.key).sort());
    assert.equal((await env.deadLetterQueue.depth()).visible, 0);
  });
});
