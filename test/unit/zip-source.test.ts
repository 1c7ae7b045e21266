import assert from 'node:assert/strict';
import { truncate, writeFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import { SourceKindError } from '../../lib/ingest/sources/errors.ts';
import { archiveLimits } from '../../lib/ingest/sources/limits.ts';
import { sourceKindOf } from '../../lib/ingest/sources/source-kind.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import {
  deflatedZeros,
  TINY_PNG,
  writeZip,
  type ZipEntrySpec,
  zipBytes,
} from '../fixtures/archives.ts';
import { archiveReaderContract, type ContractEntry } from '../helpers/archive-reader-contract.ts';
import { collect, summary } from '../helpers/source-items.ts';
import { suiteTempDir } from '../helpers/temp.ts';

const MiB = 1024 * 1024;
const png = (name: string | Uint8Array, extra: Partial<ZipEntrySpec> = {}): ZipEntrySpec => ({
  name,
  data: TINY_PNG,
  ...extra,
});

/** The shared contract's entries, as zip entries (a directory or link by its Unix mode). */
const asZip = (entry: ContractEntry): ZipEntrySpec =>
  'directory' in entry
    ? { name: entry.name, data: new Uint8Array(0), method: 'store', unixMode: 0o040755 }
    : 'symlinkTo' in entry
      ? {
          name: entry.name,
          data: Buffer.from(entry.symlinkTo),
          method: 'store',
          unixMode: 0o120777,
        }
      : { name: entry.name, data: entry.data ?? new Uint8Array(0) };

archiveReaderContract({
  kind: 'zip',
  ext: 'zip',
  countsEntriesFirst: true,
  write: (path, entries) => writeZip(path, entries.map(asZip)),
});

describe('zip source', () => {
  const at = suiteTempDir('zip-source');
  let bomb: { compressed: Buffer; crc: number };
  before(async () => {
    bomb = await deflatedZeros(100 * MiB);
  });
  const zip = (name: string, entries: readonly ZipEntrySpec[]) => writeZip(at(name), entries);

  it('refuses zip-slip names, and nothing else', async () => {
    const path = await zip('slip.zip', [
      png('ok/normal.png'),
      png('../../evil-traversal.png'),
      png('/tmp/evil-absolute.png'),
      png('ok\\..\\..\\evil-backslash.png'),
      png('C:\\evil.png'),
      png('dir\\plain.png'),
      png('ok/after.png'),
    ]);
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), [
      '0 slip/ok/normal.png',
      '1 refused path-traversal',
      '2 refused path-traversal',
      '3 refused path-traversal',
      '4 refused path-traversal',
      '5 refused backslash-in-name',
      '6 slip/ok/after.png',
    ]);
  });

  it('refuses special files by their Unix mode, naming what they are', async () => {
    const path = await zip('special.zip', [
      { name: 'images/link', data: Buffer.from('/etc'), method: 'store', unixMode: 0o120777 },
      { name: 'images/fifo', data: new Uint8Array(0), unixMode: 0o010644 },
      { name: 'images/dev', data: new Uint8Array(0), unixMode: 0o020644 },
      png('images/ok.png'),
    ]);
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), [
      '0 refused not-a-regular-file',
      '1 refused not-a-regular-file',
      '2 refused not-a-regular-file',
      '3 special/images/ok.png',
    ]);
    const details = outcomes.map((o) => (o.kind === 'refused' ? o.detail : ''));
    assert.deepEqual(details.slice(0, 2), ['a symbolic link', 'a FIFO']);
  });

  it('cleans odd names, and refuses the second of two names that clean alike', async () => {
    const long = `${'x'.repeat(1100)}.png`;
    const path = await zip('odd.zip', [
      png('space name.png'),
      png('plus+sign.png'),
      png('percent%2Fslash.png'),
      png('caf\u00e9.png'),
      png('cafe\u0301.png'),
      png('ctrl\u0007bell.png'),
      png('ctrlbell.png'),
      png('rtl\u202egnp.exe'),
      png(long),
      png('emoji-😀.png'),
    ]);
    const { outcomes } = await collect(path, { keyPrefix: 'uploads/' });
    assert.deepEqual(summary(outcomes), [
      '0 odd/space name.png',
      '1 odd/plus+sign.png',
      '2 odd/percent%2Fslash.png',
      '3 odd/café.png',
      '4 refused name-collision',
      '5 odd/ctrlbell.png',
      '6 refused name-collision',
      '7 odd/rtlgnp.exe',
      '8 refused name-too-long',
      '9 odd/emoji-😀.png',
    ]);
    const nfd = outcomes[4];
    assert.ok(nfd?.kind === 'refused');
    assert.equal(nfd.detail, 'cleans to "odd/café.png", the name of item 3');
    const bell = outcomes[5];
    assert.ok(bell?.kind === 'entry');
    assert.equal(bell.source, `${path}:ctrl\\u{0007}bell.png`, 'the raw name, escaped');
    const tooLong = outcomes[8];
    assert.ok(tooLong?.kind === 'refused');
    assert.match(tooLong.detail, /1,116 UTF-8 bytes; S3 allows 1,024/);
  });

  it('decodes names without the UTF-8 flag as CP437 (or UTF-8 when they are)', async () => {
    const path = await zip('cp437.zip', [
      png(Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x70, 0x6e, 0x67])),
      png(Buffer.from('naïve.png', 'utf8'), { utf8: false }),
      png(Buffer.from([0x62, 0xff, 0xfe, 0x2e, 0x70, 0x6e, 0x67]), { utf8: true }),
    ]);
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), [
      '0 cp437/café.png',
      '1 cp437/naïve.png',
      '2 refused invalid-name',
    ]);
  });

  it('refuses nested archives, empty entries, encrypted entries and unknown methods', async () => {
    const path = await zip('misc.zip', [
      png('inner.zip'),
      png('inner.TAR.GZ'),
      { name: 'empty.png', data: new Uint8Array(0) },
      png('secret.png', { encrypted: true }),
      png('bzip2.png', { method: 12 }),
      png('ok.png'),
    ]);
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), [
      '0 refused nested-archive',
      '1 refused nested-archive',
      '2 refused empty-entry',
      '3 refused unsupported-entry',
      '4 refused unsupported-entry',
      '5 misc/ok.png',
    ]);
  });

  it('stops a ratio bomb from the bytes it inflates, not its header', async () => {
    const path = await zip('bomb.zip', [
      { name: 'zeros.png', compressed: bomb.compressed, crc: bomb.crc, declaredSize: 100 * MiB },
      png('after.png'),
    ]);
    const limits = archiveLimits({ maxEntryBytes: 200 * MiB });
    const { outcomes } = await collect(path, { limits });
    assert.deepEqual(summary(outcomes), [
      '0 bomb/zeros.png failed ratio-limit',
      '1 bomb/after.png',
    ]);
    const zeros = outcomes[0];
    assert.ok(zeros?.kind === 'entry');
    assert.ok(zeros.bytesRead <= 2 * MiB, `stopped after ${zeros.bytesRead} bytes`);
    assert.match(zeros.refused?.detail ?? '', /more than 100:1/);
  });

  it('stops a bomb whose header understates its size at the declared size', async () => {
    const path = await zip('liar.zip', [
      { name: 'zeros.png', compressed: bomb.compressed, crc: bomb.crc, declaredSize: 70 },
      png('after.png'),
    ]);
    const { outcomes } = await collect(path, { limits: archiveLimits({ maxRatio: 10_000 }) });
    assert.deepEqual(summary(outcomes), [
      '0 liar/zeros.png failed corrupt-entry',
      '1 liar/after.png',
    ]);
    const zeros = outcomes[0];
    assert.ok(zeros?.kind === 'entry');
    assert.ok(zeros.bytesRead < 70, 'nothing past the declared size reaches the caller');
    assert.match(zeros.refused?.detail ?? '', /inflates past the 70 bytes its header declares/);
  });

  it('ends the archive past maxTotalBytes, saying so once', async () => {
    const chunk = Buffer.alloc(40 * 1024, 7);
    const path = await zip(
      'total.zip',
      [0, 1, 2, 3, 4].map((i) => ({ name: `${i}.bin`, data: chunk })),
    );
    const { outcomes } = await collect(path, {
      limits: archiveLimits({ maxTotalBytes: 100 * 1024 }),
    });
    assert.deepEqual(summary(outcomes), [
      '0 total/0.bin',
      '1 total/1.bin',
      '2 total/2.bin failed archive-too-large',
      '3 refused archive-too-large',
    ]);
    const end = outcomes[3];
    assert.ok(end?.kind === 'refused');
    assert.equal(end.source, path);
  });

  it('ends an archive of many small bombs by its overall ratio', async () => {
    const small = await deflatedZeros(256 * 1024);
    const entries = Array.from({ length: 40 }, (_, i) => ({
      name: `${i}.png`,
      compressed: small.compressed,
      crc: small.crc,
      declaredSize: 256 * 1024,
    }));
    const path = await zip('many-bombs.zip', entries);
    const limits = archiveLimits({ archiveRatioFloorBytes: 2 * MiB });
    const { outcomes } = await collect(path, { limits });
    const last = outcomes.at(-1);
    assert.ok(
      last?.kind === 'refused' && last.reason === 'archive-too-large',
      summary(outcomes).join(),
    );
    assert.ok(outcomes.length <= 10, `${outcomes.length} items`);
  });

  it('refuses 10,001 empty entries one by one, or stops at a 10,000 cap', async () => {
    const entries = Array.from({ length: 10_001 }, (_, i) => ({
      name: `e/${String(i).padStart(5, '0')}.png`,
      data: new Uint8Array(0),
      method: 'store' as const,
    }));
    const path = await zip('many.zip', entries);
    const open = await collect(path);
    assert.equal(open.outcomes.length, 10_001);
    assert.ok(open.outcomes.every((o) => o.kind === 'refused' && o.reason === 'empty-entry'));
    const capped = await collect(path, { limits: archiveLimits({ maxEntries: 10_000 }) });
    assert.equal(capped.outcomes.length, 10_001);
    assert.deepEqual(summary(capped.outcomes).at(-1), '10000 refused too-many-entries');
  });

  it('refuses an entry whose data is damaged, and reads on', async () => {
    const good = zipBytes([png('a.png'), png('b.png'), png('c.png', { crc: 1234 }), png('d.png')]);
    // Damage b.png's deflate data (the first bytes after its local header) and nothing else.
    const bStart = good.indexOf('b.png', 30) + 'b.png'.length;
    good[bStart] = 0xff;
    good[bStart + 1] = 0xff;
    const path = at('damaged.zip');
    await writeFile(path, good);
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), [
      '0 damaged/a.png',
      '1 damaged/b.png failed corrupt-entry',
      '2 damaged/c.png failed corrupt-entry',
      '3 damaged/d.png',
    ]);
  });

  it('yields the entries before a damaged central directory record, then ends', async () => {
    const bytes = zipBytes([png('a.png'), png('b.png'), png('c.png')]);
    const third = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes[third] = 0;
    const path = at('directory.zip');
    await writeFile(path, bytes);
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), [
      '0 directory/a.png',
      '1 directory/b.png',
      '2 refused corrupt-archive',
    ]);
  });

  it('reports a truncated zip (no central directory) as one corrupt-archive refusal', async () => {
    const path = await zip('truncated.zip', [png('a.png'), png('b.png')]);
    await truncate(path, 100);
    assert.equal(await sourceKindOf(path), 'zip');
    const { outcomes } = await collect(path);
    assert.deepEqual(summary(outcomes), ['0 refused corrupt-archive']);
  });

  it('refuses to read a .zip that is not a zip, as a usage error', async () => {
    const path = at('fake.zip');
    await writeFile(path, TINY_PNG);
    await assert.rejects(
      sourceKindOf(path),
      (e: unknown) =>
        e instanceof SourceKindError &&
        e instanceof UsageError &&
        /not a zip archive/.test(e.message),
    );
    await assert.rejects(collect(path), SourceKindError);
  });
});
