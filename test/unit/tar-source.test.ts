import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { archiveLimits } from '../../lib/ingest/sources/limits.ts';
import { sourceKindOf } from '../../lib/ingest/sources/source-kind.ts';
import {
  gzipBytes,
  type TarEntrySpec,
  TINY_PNG,
  tarBytes,
  writeTar,
} from '../fixtures/archives.ts';
import { archiveReaderContract, type ContractEntry } from '../helpers/archive-reader-contract.ts';
import { collect, summary } from '../helpers/source-items.ts';
import { suiteTempDir } from '../helpers/temp.ts';

const MiB = 1024 * 1024;
const png = (name: string | Uint8Array, extra: Partial<TarEntrySpec> = {}): TarEntrySpec => ({
  name,
  data: TINY_PNG,
  ...extra,
});

/** The shared contract's entries, as tar entries. */
const asTar = (entry: ContractEntry): TarEntrySpec =>
  'directory' in entry
    ? { name: entry.name.replace(/\/$/, ''), type: 'directory' }
    : 'symlinkTo' in entry
      ? { name: entry.name, type: 'symlink', linkname: entry.symlinkTo }
      : { name: entry.name, ...(entry.data?.byteLength ? { data: entry.data } : {}) };

for (const gzip of [false, true]) {
  archiveReaderContract({
    kind: gzip ? 'tar.gz' : 'tar',
    ext: gzip ? 'tgz' : 'tar',
    countsEntriesFirst: false,
    write: (path, entries) => writeTar(path, entries.map(asTar), { gzip }),
  });
}

for (const gzip of [false, true]) {
  const ext = gzip ? 'tgz' : 'tar';
  describe(`${gzip ? 'tar.gz' : 'tar'} source`, () => {
    const at = suiteTempDir(`${ext}-source`);
    const tar = (name: string, entries: Iterable<TarEntrySpec>, end = true) =>
      writeTar(at(`${name}.${ext}`), entries, { gzip, end });

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

    it('reads header names as UTF-8, or Latin-1 when they are not', async () => {
      const path = await tar('latin', [
        png(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x6e, 0x67])),
        png('naïve.png'),
      ]);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), ['0 latin/café.png', '1 latin/naïve.png']);
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
      const path = at(`truncated.${ext}`);
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
      const path = at(`damaged.${ext}`);
      await writeFile(path, gzip ? gzipBytes(bytes) : bytes);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), ['0 damaged/a.png', '1 refused corrupt-archive']);
      assert.ok(outcomes[1]?.kind === 'refused' && /damaged/.test(outcomes[1].detail));
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
  });
}

describe('tar.gz ratio defences', () => {
  const at = suiteTempDir('tgz-ratio');

  it('refuses an entry that inflates past the ratio, reads past it, and goes on', async () => {
    const path = await writeTar(
      at('bomb.tgz'),
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
      at('many.tgz'),
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
    const path = at('plain.tgz');
    await writeFile(path, tarBytes([png('a.png')]));
    assert.equal(await sourceKindOf(path), 'tar');
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), ['0 plain/a.png']);
  });
});
