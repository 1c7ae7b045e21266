/**
 * Reuse through the real worker on the embedded cloud: a preset whose hash did not change is not
 * rendered again under a new config, and an exact duplicate is copied, not rendered. The test
 * invokes the real handler itself (direct-handler.ts) so that it decides which config sees which
 * record, and counts what really happened: the pixel pool's renders (images, and presets in each)
 * from the handler's own pool, and the S3 calls the worker's own SDK client sent (a middleware
 * that counts and passes every call through; nothing is mocked).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { PixelmillConfig, PixelmillConfigInput } from '../../events/config/schema.ts';
import {
  contentIndexKey,
  type ImageRow,
  isLatestRow,
  isVersionRow,
} from '../../events/image-row.ts';
import type { RowKey } from '../../lib/aws/image-table.ts';
import type { ClientMiddleware } from '../../lib/aws/target.ts';
import { defaultConfigInput } from '../../lib/config/defaults.ts';
import { configHash, defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { recountTable } from '../../lib/ops/recount.ts';
import { fixture } from '../fixtures/catalogue.ts';
import {
  invocationContext,
  startDirectHandler,
  uploadAndReceive,
} from '../helpers/direct-handler.ts';
import { startTestCloud, type TestCloud } from '../helpers/local-cloud.ts';

interface S3Call {
  readonly command: string;
  readonly bucket: string;
  readonly key: string;
}

/** Records every S3 call the worker's client sends, then sends it on unchanged. */
function countS3(calls: S3Call[]): ClientMiddleware {
  return (service, stack) => {
    if (service !== 's3') return;
    stack.add(
      (next, context) => async (args) => {
        const input = args.input as { Bucket?: string; Key?: string };
        calls.push({
          command: String((context as { commandName?: string }).commandName ?? ''),
          bucket: input.Bucket ?? '',
          key: input.Key ?? '',
        });
        return next(args);
      },
      { step: 'initialize', name: 'pixelmillTestCountS3' },
    );
  };
}

const c1 = defaultConfig();

/** C1 with one preset's quality changed: only that preset's hash changes. */
function withThumbnailQuality(quality: number): PixelmillConfig {
  const input: PixelmillConfigInput = {
    ...defaultConfigInput,
    presets: defaultConfigInput.presets.map((p) =>
      p.name === 'w320' ? { ...p, formats: p.formats.map((f) => ({ ...f, quality })) } : p,
    ),
  };
  return parseConfig(input, 'test: w320 quality changed');
}

const PHOTOS = [
  'landscape-photo.jpg',
  'small-photo.jpg',
  'alpha-logo.png',
  'grey-alpha.png',
  'palette.png',
  'exif-gps.jpg',
];

async function rowsOf(env: TestCloud, keys: readonly RowKey[]): Promise<ImageRow[]> {
  return Promise.all(
    keys.map(async (k) => (await env.table.get(k)) ?? assert.fail(`no row ${k.pk} ${k.sk}`)),
  );
}

/** The row key of the same object version under another config. */
function under(key: RowKey, config: PixelmillConfig): RowKey {
  return { pk: key.pk, sk: key.sk.replace(/#c#[^#]+$/, `#c#${configHash(config)}`) };
}

/** Every rendition object: key → ETag and LastModified. */
async function listing(env: TestCloud): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const o of env.store.list(env.cloud.topology.renditionsBucket, ''))
    out.set(o.key, `${o.etag} ${o.lastModified?.toISOString()}`);
  return out;
}

async function bytesOf(env: TestCloud, key: string): Promise<Buffer> {
  return env.store.getBytes({ bucket: env.cloud.topology.renditionsBucket, key }, 1e8);
}

async function deleteRendition(env: TestCloud, key: string): Promise<void> {
  const Bucket = env.cloud.topology.renditionsBucket;
  await env.clients.s3.send(new DeleteObjectCommand({ Bucket, Key: key }));
}

/** One fixture uploaded and processed under C1: the cloud, the record, the DONE row. */
async function doneUnderC1(t: TestContext, name: string) {
  const env = await startTestCloud(t);
  const key = `uploads/reuse/${name}`;
  const batch = await uploadAndReceive(env, [{ key, body: await fixture(name).build() }]);
  const rowKey = batch.byKey.get(key)?.rowKey ?? assert.fail();
  const first = startDirectHandler(t, env, { config: c1 });
  await first.handler({ Records: batch.records }, invocationContext(300));
  const donor = (await env.table.get(rowKey)) ?? assert.fail();
  assert.equal(donor.status, 'DONE');
  return { env, batch, rowKey, donor };
}

/**
 * One fixture's bytes uploaded under two keys, `uploads/dup/first.jpg` processed (under C1) and
 * `uploads/dup/again.jpg` only received, by a worker whose S3 calls go to `calls`.
 */
async function twoCopies(
  t: TestContext,
  name: string,
  calls: S3Call[],
  keys: readonly [string, string] = ['uploads/dup/first.jpg', 'uploads/dup/again.jpg'],
) {
  const env = await startTestCloud(t);
  const body = await fixture(name).build();
  const batch = await uploadAndReceive(
    env,
    keys.map((key) => ({ key, body })),
  );
  const [first, second] = keys.map((k) => batch.byKey.get(k) ?? assert.fail());
  if (!first || !second) assert.fail();
  const worker = startDirectHandler(t, env, { config: c1, addMiddleware: countS3(calls) });
  await worker.handler({ Records: [first.record] }, invocationContext(300));
  const donor = (await env.table.get(first.rowKey)) ?? assert.fail();
  return { env, worker, first, second, donor };
}

const puts = (calls: readonly S3Call[]) => calls.filter((c) => c.command === 'PutObjectCommand');
const copies = (calls: readonly S3Call[]) => calls.filter((c) => c.command === 'CopyObjectCommand');
const gets = (calls: readonly S3Call[]) => calls.filter((c) => c.command === 'GetObjectCommand');

describe('worker reuse: per-preset re-render and exact duplicates', () => {
  it('renders only the changed preset under a new config and leaves the others untouched', async (t) => {
    const env = await startTestCloud(t);
    const uploads = await Promise.all(
      PHOTOS.map(async (name) => ({
        key: `uploads/reuse/${name}`,
        body: await fixture(name).build(),
      })),
    );
    const batch = await uploadAndReceive(env, uploads);
    const c1Keys = PHOTOS.map(
      (n) => batch.byKey.get(`uploads/reuse/${n}`)?.rowKey ?? assert.fail(),
    );

    const first = startDirectHandler(t, env, { config: c1 });
    const r1 = await first.handler({ Records: batch.records }, invocationContext(600));
    assert.deepEqual(r1.batchItemFailures, []);
    assert.deepEqual(
      { images: first.handler.pixels.rendered, presets: first.handler.pixels.presets },
      { images: 6, presets: 18 },
    );
    const before = await listing(env);
    const c1Rows = await rowsOf(env, c1Keys);

    const c2 = withThumbnailQuality(60);
    const calls: S3Call[] = [];
    const second = startDirectHandler(t, env, { config: c2, addMiddleware: countS3(calls) });
    const r2 = await second.handler({ Records: batch.records }, invocationContext(600));
    assert.deepEqual(r2.batchItemFailures, []);
    // One render per image, of one preset each, from one decode.
    assert.deepEqual(
      { images: second.handler.pixels.rendered, presets: second.handler.pixels.presets },
      { images: 6, presets: 6 },
    );
    // Two PUTs per image (w320 as JPEG and WebP), no copies.
    assert.equal(puts(calls).length, 12);
    assert.ok(
      puts(calls).every((c) => /\/w320-[0-9a-f]+\.(jpg|webp)$/.test(c.key)),
      'only w320',
    );
    assert.equal(copies(calls).length, 0);

    const after = await listing(env);
    const c2Rows = await rowsOf(
      env,
      c1Keys.map((k) => under(k, c2)),
    );
    for (const [i, row] of c2Rows.entries()) {
      const old = c1Rows[i] ?? assert.fail();
      assert.equal(row.status, 'DONE');
      assert.equal(row.renditions?.length, 6, 'all renditions on the new row');
      const reused = (row.renditions ?? []).filter((r) => r.reusedFrom !== undefined);
      assert.deepEqual(
        reused.map((r) => r.name),
        ['w1600', 'w1600', 'w800', 'w800'],
      );
      for (const r of reused) {
        assert.equal(r.reusedFrom, configHash(c1));
        assert.ok(old.renditions?.some((o) => o.key === r.key && o.bytes === r.bytes));
        // Not rewritten: the same ETag and LastModified as before C2 ran.
        assert.equal(after.get(r.key), before.get(r.key), `${r.key} untouched`);
      }
      for (const r of (row.renditions ?? []).filter((x) => x.name === 'w320')) {
        assert.equal(before.has(r.key), false, 'w320 has a new key');
        assert.equal((await bytesOf(env, r.key)).length, r.bytes);
      }
      assert.equal(row.width, old.width);
      assert.equal(row.duplicateOf, undefined);
    }
  });

  it('makes a config that only drops a preset from the donor row, without fetching the source', async (t) => {
    const { env, batch, rowKey, donor } = await doneUnderC1(t, 'landscape-photo.jpg');

    const c3 = parseConfig(
      { ...defaultConfigInput, presets: defaultConfigInput.presets.slice(0, 2) },
      'test: w320 dropped',
    );
    const calls: S3Call[] = [];
    const third = startDirectHandler(t, env, { config: c3, addMiddleware: countS3(calls) });
    const r3 = await third.handler({ Records: batch.records }, invocationContext(300));
    assert.deepEqual(r3.batchItemFailures, []);
    assert.equal(third.handler.pixels.rendered, 0, 'no render');
    assert.equal(gets(calls).length, 0, 'the source is not fetched');
    assert.equal(puts(calls).length + copies(calls).length, 0, 'nothing written');
    const row = (await env.table.get(under(rowKey, c3))) ?? assert.fail();
    assert.equal(row.status, 'DONE');
    assert.deepEqual(
      row.renditions?.map((r) => r.key),
      donor.renditions?.filter((r) => r.name !== 'w320').map((r) => r.key),
    );
    assert.deepEqual(
      [row.width, row.height, row.format, row.bytes, row.analysis],
      [donor.width, donor.height, donor.format, donor.bytes, donor.analysis],
    );
  });

  it('does not reuse into a config that would reject the image (a format turned off)', async (t) => {
    const { env, batch, rowKey } = await doneUnderC1(t, 'alpha-logo.png');
    // Every preset reusable, but PNG no longer accepted: the render path decides, and rejects.
    const noPng = parseConfig(
      {
        ...defaultConfigInput,
        presets: defaultConfigInput.presets.slice(0, 2),
        input: { formats: ['jpeg', 'webp'] },
      },
      'test: w320 dropped, PNG off',
    );
    const worker = startDirectHandler(t, env, { config: noPng });
    const r = await worker.handler({ Records: batch.records }, invocationContext(300));
    assert.deepEqual(r.batchItemFailures, []);
    const row = (await env.table.get(under(rowKey, noPng))) ?? assert.fail();
    assert.deepEqual([row.status, row.reason], ['REJECTED', 'format-not-allowed']);
  });

  it('does not copy a duplicate over a limit lowered since its donor was made', async (t) => {
    const calls: S3Call[] = [];
    const { env, second } = await twoCopies(t, 'landscape-photo.jpg', calls);
    // The same presets (the same config hash), a pixel limit the photo is over.
    const lowered = parseConfig(
      { ...defaultConfigInput, limits: { maxPixels: 1000 } },
      'test: pixel limit lowered',
    );
    assert.equal(configHash(lowered), configHash(c1));
    calls.length = 0;
    const worker = startDirectHandler(t, env, { config: lowered, addMiddleware: countS3(calls) });
    const r = await worker.handler({ Records: [second.record] }, invocationContext(300));
    assert.deepEqual(r.batchItemFailures, []);
    assert.equal(copies(calls).length, 0, 'nothing copied');
    const row = (await env.table.get(second.rowKey)) ?? assert.fail();
    assert.deepEqual([row.status, row.reason], ['REJECTED', 'pixel-limit']);
  });

  it('renders a preset whose reused rendition was deleted instead of trusting the donor row', async (t) => {
    const { env, batch, rowKey, donor } = await doneUnderC1(t, 'small-photo.jpg');
    const gone = donor.renditions?.find((r) => r.name === 'w1600') ?? assert.fail();
    await deleteRendition(env, gone.key);

    const c2 = withThumbnailQuality(60);
    const second = startDirectHandler(t, env, { config: c2 });
    await second.handler({ Records: batch.records }, invocationContext(300));
    assert.deepEqual(
      { images: second.handler.pixels.rendered, presets: second.handler.pixels.presets },
      { images: 1, presets: 2 },
      'w1600 and w320 from one decode',
    );
    const row = (await env.table.get(under(rowKey, c2))) ?? assert.fail();
    assert.equal(row.status, 'DONE');
    assert.deepEqual(
      row.renditions?.filter((r) => r.reusedFrom).map((r) => r.name),
      ['w800', 'w800'],
    );
    assert.equal((await bytesOf(env, gone.key)).length > 0, true, 'the deleted rendition is back');
  });

  it('copies an exact duplicate instead of rendering it, and links its row to the first', async (t) => {
    const calls: S3Call[] = [];
    const { env, worker, first, donor, ...dup } = await twoCopies(t, 'landscape-photo.jpg', calls);
    const again = dup.second;
    assert.equal(worker.handler.pixels.rendered, 1);
    calls.length = 0;

    const r = await worker.handler({ Records: [again.record] }, invocationContext(300));
    assert.deepEqual(r.batchItemFailures, []);
    assert.equal(worker.handler.pixels.rendered, 1, 'no second render');
    assert.equal(puts(calls).length, 0, 'no PUT');
    assert.equal(copies(calls).length, 6, 'one server-side copy per rendition');
    const row = (await env.table.get(again.rowKey)) ?? assert.fail();
    assert.equal(row.status, 'DONE');
    assert.deepEqual(row.duplicateOf, { pk: donor.pk, sk: donor.sk });
    assert.deepEqual(row.analysis, donor.analysis);
    assert.equal(row.renditions?.length, 6);
    for (const [i, r] of (row.renditions ?? []).entries()) {
      const original = donor.renditions?.[i] ?? assert.fail();
      assert.ok(r.key.startsWith('uploads/dup/again.jpg/'), `${r.key} is the duplicate's own key`);
      assert.equal(r.copiedFrom, original.key);
      assert.deepEqual(await bytesOf(env, r.key), await bytesOf(env, original.key));
    }
    // The content index names the first image, not the copy.
    const index = await env.table.contents.donorOf(
      donor.analysis?.sha256 as string,
      configHash(c1),
    );
    assert.deepEqual(index, first.rowKey);
  });

  it('renders a duplicate whose donor lost a rendition, and indexes it in the donor’s place', async (t) => {
    const { env, worker, donor, second: later } = await twoCopies(t, 'small-photo.jpg', []);
    await deleteRendition(env, donor.renditions?.[0]?.key ?? assert.fail());

    const r = await worker.handler({ Records: [later.record] }, invocationContext(300));
    assert.deepEqual(r.batchItemFailures, []);
    assert.equal(worker.handler.pixels.rendered, 2, 'rendered, not linked to a missing object');
    const row = (await env.table.get(later.rowKey)) ?? assert.fail();
    assert.equal(row.status, 'DONE');
    assert.equal(row.duplicateOf, undefined);
    for (const rendition of row.renditions ?? [])
      assert.equal((await bytesOf(env, rendition.key)).length, rendition.bytes);
    const sha = donor.analysis?.sha256 as string;
    assert.deepEqual(await env.table.contents.donorOf(sha, configHash(c1)), later.rowKey);
    // The index items are never taken for image rows: a recount (a scan) finds the two rows.
    assert.ok(await env.table.get(contentIndexKey(sha, configHash(c1))));
    for await (const scanned of env.table.scan())
      assert.ok(isVersionRow(scanned) || isLatestRow(scanned), `${scanned.pk} is a row`);
    const recount = await recountTable(env.table);
    assert.equal(recount.rows, 2);
    assert.equal(recount.configs[configHash(c1)]?.done, 2);
  });

  it('never takes a REJECTED image for a donor', async (t) => {
    const calls: S3Call[] = [];
    const { env, worker, donor, second } = await twoCopies(t, 'truncated.jpeg', calls);
    assert.equal(donor.status, 'REJECTED');
    const body = await fixture('truncated.jpeg').build();
    const sha = createHash('sha256').update(body).digest('hex');
    assert.equal(await env.table.contents.donorOf(sha, configHash(c1)), undefined, 'not indexed');
    await worker.handler({ Records: [second.record] }, invocationContext(300));
    const row = (await env.table.get(second.rowKey)) ?? assert.fail();
    assert.equal(row.status, 'REJECTED');
    assert.equal(row.reason, donor.reason);
    assert.equal(row.duplicateOf, undefined);
    assert.equal(copies(calls).length, 0);
  });

  it('gives a duplicate its own name’s claims, not the donor’s (typeMismatch)', async (t) => {
    const keys = ['uploads/dup/logo.png', 'uploads/dup/logo-named.jpg'] as const;
    const { env, worker, donor, second } = await twoCopies(t, 'alpha-logo.png', [], keys);
    await worker.handler({ Records: [second.record] }, invocationContext(300));
    const row = (await env.table.get(second.rowKey)) ?? assert.fail();
    assert.deepEqual(row.duplicateOf, { pk: donor.pk, sk: donor.sk });
    assert.equal(donor.analysis?.typeMismatch, false);
    assert.equal(row.analysis?.typeMismatch, true, 'PNG bytes named .jpg');
    assert.equal(row.analysis?.phash, donor.analysis?.phash);
  });
});
