/**
 * Issue 10 item 3: S3 keys are data, never paths. Through the real local cloud and the real SDK,
 * keys that climb (`../`), alias (`a/../b`), overflow a file name or carry odd characters are each
 * stored inside the state directory under a hashed name, read back as their own bytes, listed
 * exactly and kept over a restart; a state directory of fauxqs's old key-as-path layout migrates;
 * and the worker turns `a/../b` and `b` into two images with their own renditions. The filesystem
 * around the cloud is listed before and after: nothing may appear outside the state directory.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CompleteMultipartUploadCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { imageRowKey } from '../../events/image-row.ts';
import type { FauxqsS3Object, FauxqsS3Persistence } from '../../infra/local/fauxqs-internals.ts';
import { objectPaths } from '../../infra/local/s3-layout.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { photoPixels } from '../fixtures/catalogue.ts';
import { DOT_SEGMENT_KEYS } from '../fixtures/dot-segment-keys.ts';
import { startTestCloud, startTestWorker, type TestCloud } from '../helpers/local-cloud.ts';
import { meanAbsDiff } from '../helpers/perceptual.ts';
import { eventually, tempDir } from '../helpers/temp.ts';

/** In every name this file makes outside a temp dir, so a stray file is recognisable. */
const marker = `pm-escape-${process.pid}-${Date.now()}`;
const climb = `uploads/${'../'.repeat(12)}tmp/${marker}.jpg`;

/** 1,024 bytes of UTF-8, S3's longest key, mostly multi-byte characters. */
function longestKey(): string {
  let key = 'uploads/';
  const chars = ['€', '😀', 'é', '写'];
  for (let i = 0; ; i++) {
    const c = chars[i % chars.length] ?? 'a';
    if (Buffer.byteLength(key + c) > 1024) break;
    key += c;
  }
  return key.padEnd(key.length + 1024 - Buffer.byteLength(key), 'a');
}

const hostileKeys: readonly string[] = [
  climb,
  // Each depth lands somewhere else in a key-as-path layout: the state dir, its parent, /tmp, /.
  ...Array.from({ length: 12 }, (_, i) => `uploads/${'../'.repeat(i + 1)}${marker}-${i + 1}.jpg`),
  'uploads/b.jpg',
  ...DOT_SEGMENT_KEYS,
  `uploads/${'s'.repeat(251)}.jpg`, // a 255-byte segment
  `uploads/${'m'.repeat(246)}`,
  longestKey(),
  'uploads/%2e%2e/%2e%2e/x.jpg',
  'uploads/back\\slash\\..\\..\\x.jpg',
  'uploads/c:/x.jpg',
  'uploads/what?x=1.jpg',
  'uploads/hash#frag.jpg',
  'uploads/sp ace .jpg',
  'uploads/new\nline.jpg',
  'uploads/carriage\rreturn.jpg',
  'uploads/tab\t.jpg',
  'uploads/nul\0.jpg',
  'uploads/Case.jpg',
  'uploads/case.jpg',
  'uploads/<tag>&amp;.jpg',
  'uploads/%.jpg',
];

function bodyOf(key: string): Buffer {
  return Buffer.from(`the bytes of ${JSON.stringify(key)}`);
}

/** Every entry (files and directories) under `dir`, relative, sorted. */
async function entriesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** Files and links (not followed) under `dir`, relative, sorted. */
async function nonDirectoriesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

interface Surroundings {
  parent: string[];
  tmp: string[];
  root: string[];
}

async function surroundings(parent: string): Promise<Surroundings> {
  return { parent: await entriesUnder(parent), tmp: readdirSync(tmpdir()), root: readdirSync('/') };
}

/** Nothing new outside `<parent>/state`, and nothing named by this test in /tmp or /. */
function assertNothingOutside(before: Surroundings, after: Surroundings): void {
  const added = after.parent.filter((p) => !before.parent.includes(p));
  assert.deepEqual(
    added.filter((p) => p !== 'state' && !p.startsWith('state/')),
    [],
    'entries outside the state dir',
  );
  for (const [where, names] of [
    [tmpdir(), after.tmp],
    ['/', after.root],
  ] as const) {
    assert.deepEqual(
      names.filter((n) => n.includes(marker)),
      [],
      `entries made in ${where}`,
    );
  }
  assert.equal(existsSync(join(tmpdir(), `${marker}.jpg.data`)), false);
}

/** Every file of the S3 store is a hashed name in a shard, or a bucket's own file. */
/**
 * Under s3/ only the object index and its segments, each bucket's own meta (a directory named
 * from the bucket's name, never from a key) and uploads in progress by upload id: no file is
 * named after a key.
 */
function assertHashedLayout(stateDir: string, files: readonly string[]): void {
  const layout =
    /^s3\/(index\.sqlite(-wal|-shm)?|segments\/\d{6}\.bin|objects\/[a-z0-9%~-]+\/\.bucket\.json|multipart\/[0-9a-f-]{36}\/.+)$/;
  for (const file of files) {
    if (file.startsWith('s3/')) assert.match(file, layout, `${stateDir}: ${file}`);
  }
}

async function listAll(env: TestCloud, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of env.store.list(bucket, '')) keys.push(o.key);
  return keys;
}

/** Exactly these keys are listed, and each reads back as its bytes (`bodyOf` unless given). */
async function assertAllThere(
  env: TestCloud,
  bucket: string,
  keys: readonly string[],
  bodies: ReadonlyMap<string, Buffer> = new Map(),
) {
  const listed = await listAll(env, bucket);
  assert.deepEqual([...listed].sort(), [...keys].sort(), 'ListObjectsV2 lists every key exactly');
  assert.equal(new Set(listed).size, listed.length, 'each key once');
  for (const key of keys) {
    const bytes = await env.store.getBytes({ bucket, key }, 64 * 1024 * 1024);
    const expected = bodies.get(key) ?? bodyOf(key);
    assert.ok(
      bytes.equals(expected),
      `${JSON.stringify(key).slice(0, 80)} reads back its own bytes`,
    );
  }
}

const multipartKey = `uploads/${'../'.repeat(12)}tmp/${marker}-multipart.jpg`;
const PART = 5 * 1024 * 1024;
function multipartBody(): Buffer {
  const body = Buffer.alloc(PART + 100, 1);
  body.write(multipartKey);
  return body;
}

/** fauxqs's own key-as-path persistence: what wrote state directories before this layout. */
async function legacyPersistence(s3Dir: string): Promise<FauxqsS3Persistence> {
  const dist = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
  const module = (await import(pathToFileURL(join(dist, 's3/fileS3Persistence.js')).href)) as {
    FileS3Persistence: new (dir: string) => FauxqsS3Persistence;
  };
  return new module.FileS3Persistence(s3Dir);
}

function legacyObject(key: string, body: Buffer): FauxqsS3Object {
  return {
    key,
    body,
    contentType: 'image/jpeg',
    contentLength: body.length,
    etag: `"${expectedEtag(body)}"`,
    lastModified: new Date(),
    metadata: {},
  };
}

describe('local S3: every key is stored inside the state directory, under its own name', () => {
  it('stores climbing, aliasing, long and odd keys apart, lists them exactly, keeps them over a restart', async (t) => {
    const parent = await tempDir(t, 'hostile-keys');
    const stateDir = join(parent, 'state');
    const before = await surroundings(parent);
    const env = await startTestCloud(t, { stateDir });
    const bucket = env.cloud.topology.uploadsBucket;
    assert.equal(Buffer.byteLength(longestKey()), 1024);

    for (const key of hostileKeys) await env.store.put(bucket, key, bodyOf(key));
    // A multipart upload too: its parts are stored under the upload id, then as one object.
    await env.store.uploadStream(bucket, multipartKey, Readable.from([multipartBody()]), {
      partSize: PART,
    });
    const keys = [...hostileKeys, multipartKey];
    const bodies = new Map([[multipartKey, multipartBody()]]);

    await assertAllThere(env, bucket, keys, bodies);
    const files = await nonDirectoriesUnder(stateDir);
    assertHashedLayout(stateDir, files);
    assert.equal(
      files.filter((f) => f.endsWith('.meta.json') || f.endsWith('.data')).length,
      0,
      'no file per object: rows of the index and bytes in its segments',
    );
    assertNothingOutside(before, await surroundings(parent));

    await env.cloud.stop();
    env.clients.destroy();
    const again = await startTestCloud(t, { stateDir });
    await assertAllThere(again, bucket, keys, bodies);
    assertNothingOutside(before, await surroundings(parent));
  });

  it('migrates a state dir of the old key-as-path layout, resuming an interrupted move', async (t) => {
    const parent = await tempDir(t, 'legacy-s3');
    const stateDir = join(parent, 'state');
    const s3Dir = join(stateDir, 's3');
    const uploads = 'pixelmill-uploads';
    const renditions = 'pixelmill-renditions';
    const legacy = await legacyPersistence(s3Dir);
    for (const b of [uploads, renditions]) legacy.insertBucket(b, new Date(), 'general-purpose');
    const objects: [string, string][] = [
      [uploads, 'uploads/photo.jpg'],
      [uploads, 'uploads/deep/x%y:z?*.jpg'],
      [uploads, 'uploads/interrupted.jpg'],
      [renditions, 'uploads/photo.jpg/0123456789ab/w320-abcdef12.webp'],
    ];
    for (const [b, key] of objects) legacy.upsertObject(b, legacyObject(key, bodyOf(key)));
    // The old layout stored both in one file: the key that wrote last is the one that exists.
    legacy.upsertObject(uploads, legacyObject('uploads/b.jpg', bodyOf('uploads/b.jpg')));
    legacy.upsertObject(uploads, legacyObject('uploads/a/../b.jpg', bodyOf('uploads/a/../b.jpg')));
    objects.push([uploads, 'uploads/a/../b.jpg']);
    // A multipart upload in progress, with one (last, so small) part.
    const uploadId = randomUUID();
    const partBody = Buffer.from('one small last part');
    legacy.insertMultipartUpload({
      uploadId,
      bucket: uploads,
      key: 'uploads/in-progress.jpg',
      contentType: 'image/jpeg',
      metadata: {},
      parts: new Map(),
      initiated: new Date(),
    });
    legacy.upsertMultipartPart(uploadId, {
      partNumber: 1,
      body: partBody,
      etag: `"${expectedEtag(partBody)}"`,
      lastModified: new Date(),
    });

    const oldObjects = join(s3Dir, 'buckets', uploads, 'objects', 'uploads');
    // Interrupted between its two renames: the data already moved, the meta not yet.
    const moved = objectPaths(join(s3Dir, 'objects'), uploads, 'uploads/interrupted.jpg');
    mkdirSync(moved.dir, { recursive: true });
    renameSync(join(oldObjects, 'interrupted.jpg.data'), moved.data);
    // What cannot be migrated: data without meta, a meta that is not JSON, and links out of the
    // state dir (never followed: the file they point at must stay where it is, untouched).
    writeFileSync(join(oldObjects, 'orphan.jpg.data'), 'no meta');
    writeFileSync(join(oldObjects, 'broken.jpg.meta.json'), 'not json');
    writeFileSync(join(oldObjects, 'broken.jpg.data'), 'broken');
    const outside = join(parent, 'outside');
    mkdirSync(outside);
    const secret = JSON.stringify(legacyObject('uploads/secret.jpg', Buffer.from('secret')));
    writeFileSync(join(outside, 'secret.meta.json'), secret);
    writeFileSync(join(outside, 'secret.data'), 'secret');
    symlinkSync(join(outside, 'secret.meta.json'), join(oldObjects, 'secret.jpg.meta.json'));
    symlinkSync(join(outside, 'secret.data'), join(oldObjects, 'secret.jpg.data'));

    const before = await surroundings(parent);
    const env = await startTestCloud(t, { stateDir });
    for (const b of [uploads, renditions]) {
      const keys = objects.filter(([ob]) => ob === b).map(([, key]) => key);
      await assertAllThere(env, b, keys);
    }
    assert.equal(await env.store.head(uploads, 'uploads/b.jpg'), undefined);
    assert.equal(await env.store.head(uploads, 'uploads/secret.jpg'), undefined);

    // The multipart upload carries on where it was (fauxqs has no ListMultipartUploads).
    await env.clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: uploads,
        Key: 'uploads/in-progress.jpg',
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${expectedEtag(partBody)}"` }] },
      }),
    );
    const completed = await env.store.getBytes(
      { bucket: uploads, key: 'uploads/in-progress.jpg' },
      1e6,
    );
    assert.ok(completed.equals(partBody), 'the migrated part completes the upload');
    objects.push([uploads, 'uploads/in-progress.jpg']);
    const bodies = new Map([['uploads/in-progress.jpg', partBody]]);

    const after = await surroundings(parent);
    assert.equal(existsSync(join(s3Dir, 'buckets')), false, 'the old tree is gone');
    assert.equal(existsSync(join(s3Dir, '_multipart')), false);
    const leftovers = await nonDirectoriesUnder(join(s3Dir, 'unmigrated'));
    assert.deepEqual(
      leftovers.map((p) => p.split('/').at(-1)).sort(),
      [
        'broken.jpg.data',
        'broken.jpg.meta.json',
        'orphan.jpg.data',
        'secret.jpg.data',
        'secret.jpg.meta.json',
      ],
      'what could not be migrated is kept aside, as found',
    );
    assert.equal(readFileSync(join(outside, 'secret.meta.json'), 'utf8'), secret);
    assert.equal(readFileSync(join(outside, 'secret.data'), 'utf8'), 'secret');
    assertHashedLayout(
      stateDir,
      (await nonDirectoriesUnder(stateDir)).filter((f) => !f.startsWith('s3/unmigrated')),
    );
    assertNothingOutside(before, after);

    // A second start finds nothing to migrate and the same objects.
    await env.cloud.stop();
    env.clients.destroy();
    const again = await startTestCloud(t, { stateDir });
    await assertAllThere(
      again,
      uploads,
      objects.filter(([b]) => b === uploads).map(([, key]) => key),
      bodies,
    );
  });

  it('makes two images with their own renditions of uploads/a/../b.jpg and uploads/b.jpg', async (t) => {
    const parent = await tempDir(t, 'hostile-keys-worker');
    const stateDir = join(parent, 'state');
    const before = await surroundings(parent);
    const env = await startTestCloud(t, { stateDir });
    startTestWorker(t, env);
    const hash = configHash(defaultConfig());
    const bucket = env.cloud.topology.uploadsBucket;
    // Three clearly different pictures: as made, inverted, upside down.
    const image = (w: number, h: number, look: 'plain' | 'inverted' | 'upside-down') =>
      sharp(photoPixels(w, h), { raw: { width: w, height: h, channels: 3 } })
        .negate(look === 'inverted')
        .rotate(look === 'upside-down' ? 180 : 0)
        .jpeg({ quality: 90 })
        .toBuffer();
    const sources = [
      { key: 'uploads/a/../b.jpg', body: await image(640, 480, 'plain'), width: 640 },
      { key: 'uploads/b.jpg', body: await image(480, 640, 'inverted'), width: 480 },
      { key: climb, body: await image(600, 400, 'upside-down'), width: 600 },
    ];
    for (const s of sources) await env.store.put(bucket, s.key, s.body);

    const renditionKeys = new Set<string>();
    for (const [index, s] of sources.entries()) {
      const rowKey = imageRowKey({
        bucket,
        key: s.key,
        version: expectedEtag(s.body),
        configHash: hash,
      });
      const row = await eventually(`an outcome for ${s.key}`, async () => {
        const r = await env.table.get(rowKey);
        return r && ['DONE', 'REJECTED', 'FAILED'].includes(r.status) ? r : undefined;
      });
      assert.equal(row.status, 'DONE', `${s.key}: ${row.message ?? ''}`);
      assert.equal(row.width, s.width);
      assert.equal(row.renditions?.length, 6);
      for (const r of row.renditions ?? []) {
        assert.equal(renditionKeys.has(r.key), false, `${r.key} belongs to one image only`);
        renditionKeys.add(r.key);
        for (const segment of r.key.split('/'))
          assert.ok(!['', '.', '..'].includes(segment), r.key);
        if (s.key !== 'uploads/b.jpg') assert.match(r.key, /^_unsafe-keys\/[0-9a-f]{32}\//);
        else assert.ok(r.key.startsWith('uploads/b.jpg/'), r.key);
        const bytes = await env.store.getBytes(
          { bucket: env.cloud.topology.renditionsBucket, key: r.key },
          1e8,
        );
        assert.equal(bytes.length, r.bytes);
        const own = await meanAbsDiff(bytes, s.body);
        for (const [other, o] of sources.entries()) {
          if (other === index) continue;
          assert.ok(
            own + 20 < (await meanAbsDiff(bytes, o.body)),
            `${r.key} shows ${s.key}, not ${o.key}`,
          );
        }
        assert.ok(own < 8, `${r.key} looks like its source (mean difference ${own.toFixed(1)})`);
      }
    }
    assertHashedLayout(stateDir, await nonDirectoriesUnder(stateDir));
    assertNothingOutside(before, await surroundings(parent));
  });
});
