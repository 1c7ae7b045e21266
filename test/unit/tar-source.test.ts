import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EntryAbandonedError } from '../../lib/ops/sources/errors.ts';
import { archiveLimits } from '../../lib/ops/sources/limits.ts';
import { readSource } from '../../lib/ops/sources/read-source.ts';
import { sourceKindOf } from '../../lib/ops/sources/source-kind.ts';
import {
  gzipBytes,
  type TarEntrySpec,
  TINY_PNG,
  tarBytes,
  writeTar,
} from '../fixtures/archives.ts';
import {
  assertLetsGoOfFile,
  collect,
  noFdTable,
  readBody,
  summary,
  within,
} from '../helpers/source-items.ts';

const MiB = 1024 * 1024;
const png = (name: string | Uint8Array, extra: Partial<TarEntrySpec> = {}): TarEntrySpec => ({
  name,
  data: TINY_PNG,
  ...extra,
});

for (const gzip of [false, true]) {
  const ext = gzip ? 'tgz' : 'tar';
  describe(`${gzip ? 'tar.gz' : 'tar'} source`, () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `pixelmill-${ext}-source-`));
    });
    after(() => rm(dir, { recursive: true, force: true }));
    const tar = (name: string, entries: Iterable<TarEntrySpec>, end = true) =>
      writeTar(join(dir, `${name}.${ext}`), entries, { gzip, end });

    it('yields regular entries below the archive’s name, bodies intact', async () => {
      const data = Buffer.alloc(300_000, 9);
      const long = `deep/${'d'.repeat(120)}/${'n'.repeat(90)}.png`;
      const path = await tar('photos', [
        png('a.png'),
        { name: 'dir', type: 'directory' },
        { name: 'dir/big.bin', data },
        png(long),
        png('.hidden/x.png'),
        png('__MACOSX/._a.png'),
      ]);
      assert.equal(await sourceKindOf(path), gzip ? 'tar.gz' : 'tar');
      const { outcomes, progress } = await collect(path);
      assert.deepEqual(summary(outcomes), [
        '0 photos/a.png',
        '1 photos/dir/big.bin',
        `2 photos/${long}`,
      ]);
      const [a, big] = outcomes;
      assert.ok(a?.kind === 'entry' && big?.kind === 'entry');
      assert.deepEqual(a.body, TINY_PNG);
      assert.deepEqual(big.body, data);
      const size = (await readFile(path)).byteLength;
      assert.deepEqual(progress, {
        bytesRead: size,
        totalBytes: size,
        entriesKnown: undefined,
        items: 3,
        ignored: 3,
      });
    });

    it('refuses links, devices, FIFOs and unknown types, and files written through a link', async () => {
      const path = await tar('links', [
        { name: 'images/link', type: 'symlink', linkname: '/etc' },
        png('images/link/evil.png'),
        { name: 'images/hard', type: 'link', linkname: '/etc/passwd' },
        { name: 'images/fifo', type: 'fifo' },
        { name: 'images/tty', type: 'character-device' },
        { name: 'images/disk', type: 'block-device' },
        { name: 'images/sparse', type: 'gnu-sparse', data: Buffer.alloc(10) },
        png('images/ok.png'),
      ]);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), [
        '0 refused not-a-regular-file',
        '1 refused path-traversal',
        '2 refused not-a-regular-file',
        '3 refused not-a-regular-file',
        '4 refused not-a-regular-file',
        '5 refused not-a-regular-file',
        '6 refused not-a-regular-file',
        '7 links/images/ok.png',
      ]);
      const details = outcomes.map((o) => (o.kind === 'refused' ? o.detail : ''));
      assert.equal(details[0], 'a symbolic link to "/etc"');
      assert.equal(details[2], 'a hard link to "/etc/passwd"');
      assert.deepEqual(details.slice(3, 6), ['a FIFO', 'a character device', 'a block device']);
    });

    it('refuses traversal, nested archives, empty entries and collisions', async () => {
      const path = await tar('names', [
        png('../../evil.png'),
        png('/tmp/evil.png'),
        png('ok\\..\\..\\evil.png'),
        png('inner.zip'),
        { name: 'empty.png' },
        png('caf\u00e9.png'),
        png('cafe\u0301.png'),
        png(`${'x'.repeat(1100)}.png`),
        png('ok.png'),
      ]);
      const { outcomes } = await collect(path, { keyPrefix: 'uploads/' });
      assert.deepEqual(summary(outcomes), [
        '0 refused path-traversal',
        '1 refused path-traversal',
        '2 refused path-traversal',
        '3 refused nested-archive',
        '4 refused empty-entry',
        '5 names/café.png',
        '6 refused name-collision',
        '7 refused name-too-long',
        '8 names/ok.png',
      ]);
    });

    it('reads header names as UTF-8, or Latin-1 when they are not', async () => {
      const path = await tar('latin', [
        png(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x6e, 0x67])),
        png('naïve.png'),
      ]);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), ['0 latin/café.png', '1 latin/naïve.png']);
    });

    it('refuses an entry declared larger than maxEntryBytes and reads past it', async () => {
      const path = await tar('large', [{ name: 'big.bin', zeros: 3 * MiB }, png('after.png')]);
      const { outcomes } = await collect(path, {
        limits: archiveLimits({ maxEntryBytes: 2 * MiB }),
      });
      assert.deepEqual(summary(outcomes), ['0 refused entry-too-large', '1 large/after.png']);
      const last = outcomes[1];
      assert.ok(last?.kind === 'entry');
      assert.deepEqual(last.body, TINY_PNG);
    });

    it('ends the archive past maxTotalBytes, counting what it reads past', async () => {
      const path = await tar('total', [
        { name: 'a.bin', zeros: 600 * 1024 },
        { name: 'skipped.zip', zeros: 600 * 1024 },
        { name: 'c.bin', zeros: 600 * 1024 },
        png('d.png'),
      ]);
      const { outcomes } = await collect(path, { limits: archiveLimits({ maxTotalBytes: MiB }) });
      assert.deepEqual(summary(outcomes), [
        '0 total/a.bin',
        '1 refused nested-archive',
        '2 refused archive-too-large',
      ]);
      const end = outcomes[2];
      assert.ok(end?.kind === 'refused');
      assert.equal(end.source, path);
    });

    it('refuses a body mid-way when the archive is truncated inside it, then ends', async () => {
      const bytes = tarBytes([
        png('a.png'),
        { name: 'b.bin', data: Buffer.alloc(100_000, 3) },
        png('c.png'),
      ]);
      const cut = bytes.subarray(0, 512 * 3 + 50_000);
      const path = join(dir, `truncated.${ext}`);
      await writeFile(path, gzip ? gzipBytes(cut) : cut);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), [
        '0 truncated/a.png',
        '1 truncated/b.bin failed corrupt-archive',
        '2 refused corrupt-archive',
      ]);
      const b = outcomes[1];
      assert.ok(b?.kind === 'entry' && b.bytesRead < 100_000, 'a short body never ends cleanly');
    });

    it('ends at a damaged header, after the entries before it', async () => {
      const bytes = tarBytes([png('a.png'), png('b.png'), png('c.png')]);
      bytes[1024 + 148] = 0x37; // b.png's header checksum
      const path = join(dir, `damaged.${ext}`);
      await writeFile(path, gzip ? gzipBytes(bytes) : bytes);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), ['0 damaged/a.png', '1 refused corrupt-archive']);
      assert.ok(outcomes[1]?.kind === 'refused' && /damaged/.test(outcomes[1].detail));
    });

    it('ends the archive past maxEntries', async () => {
      const path = await tar(
        'count',
        Array.from({ length: 12 }, (_, i) => png(`${i}.png`)),
      );
      const { outcomes } = await collect(path, { limits: archiveLimits({ maxEntries: 5 }) });
      assert.deepEqual(summary(outcomes).slice(-2), [
        '4 count/4.png',
        '5 refused too-many-entries',
      ]);
    });

    it('reads past skipped, discarded and refused entries, indices unchanged', async () => {
      const path = await tar('resume', [
        { name: 'a.bin', data: Buffer.alloc(70_000, 1) },
        png('../x.png'),
        { name: 'b.bin', data: Buffer.alloc(70_000, 2) },
        { name: 'c.bin', data: Buffer.alloc(70_000, 3) },
        png('d.png'),
      ]);
      const { outcomes } = await collect(
        path,
        { skip: (_index, name) => name === 'resume/a.bin' },
        (entry) =>
          entry.name === 'resume/b.bin'
            ? 'discard'
            : entry.name === 'resume/c.bin'
              ? 'leave'
              : 'read',
      );
      assert.deepEqual(summary(outcomes), [
        '1 refused path-traversal',
        '2 resume/b.bin',
        '3 resume/c.bin',
        '4 resume/d.png',
      ]);
      const d = outcomes[3];
      assert.ok(d?.kind === 'entry');
      assert.deepEqual(d.body, TINY_PNG);
    });

    it('lets go of the file however the iteration ends', {
      skip: noFdTable,
    }, async () => {
      const path = await tar('fds', [
        { name: 'a.bin', data: Buffer.alloc(300_000, 1) },
        png('b.png'),
        png('c.png'),
      ]);
      await assertLetsGoOfFile(path);
    });

    it('abandons a body still being read when the iteration advances', async () => {
      const path = await tar('abandon', [
        { name: 'a.bin', data: Buffer.alloc(2 * MiB, 1) },
        png('b.png'),
      ]);
      const iterator = readSource(path).items[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.ok(!first.done && first.value.kind === 'entry');
      const body = first.value.entry.open();
      const failed = new Promise<unknown>((resolve) => body.on('error', resolve));
      body.once('readable', () => body.read(1024));
      const second = await within(iterator.next());
      assert.ok((await within(failed)) instanceof EntryAbandonedError);
      assert.ok(!second.done && second.value.kind === 'entry');
      assert.deepEqual((await readBody(second.value.entry)).body, TINY_PNG);
      assert.equal((await iterator.next()).done, true);
    });
  });
}

describe('tar.gz ratio defences', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixelmill-tgz-ratio-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses an entry that inflates past the ratio, reads past it, and goes on', async () => {
    const path = await writeTar(
      join(dir, 'bomb.tgz'),
      [
        { name: 'zeros.png', zeros: 32 * MiB },
        { name: 'noise.bin', data: randomBytes(2 * MiB) },
        png('after.png'),
      ],
      { gzip: true },
    );
    const { outcomes } = await collect(path, { limits: archiveLimits({ maxRatio: 50 }) });
    assert.deepEqual(summary(outcomes), [
      '0 bomb/zeros.png failed ratio-limit',
      '1 bomb/noise.bin',
      '2 bomb/after.png',
    ]);
    const zeros = outcomes[0];
    assert.ok(
      zeros?.kind === 'entry' && zeros.bytesRead <= 2 * MiB,
      `${zeros?.kind === 'entry' && zeros.bytesRead}`,
    );
  });

  it('ends an archive that inflates past the ratio as a whole', async () => {
    const path = await writeTar(
      join(dir, 'many.tgz'),
      Array.from({ length: 64 }, (_, i) => ({ name: `${i}.png`, zeros: 512 * 1024 })),
      { gzip: true },
    );
    const limits = archiveLimits({ archiveRatioFloorBytes: 4 * MiB });
    const { outcomes } = await collect(path, { limits });
    const last = outcomes.at(-1);
    assert.ok(
      last?.kind === 'refused' && last.reason === 'archive-too-large',
      summary(outcomes).join(),
    );
    assert.ok(outcomes.length < 16, `${outcomes.length} items`);
  });

  it('takes a .tgz that is really a plain tar (saved already gunzipped) as a tar', async () => {
    const path = join(dir, 'plain.tgz');
    await writeFile(path, tarBytes([png('a.png')]));
    assert.equal(await sourceKindOf(path), 'tar');
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), ['0 plain/a.png']);
  });
});
