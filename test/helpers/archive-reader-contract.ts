/**
 * What every archive reader (zip, tar, tar.gz) promises the ingest engine, as one suite each
 * format's test file runs with its own writer: the same names are kept, cleaned or refused with
 * the same reasons, the same limits end an entry or the archive, skipped entries keep their
 * indices, a body still being read is abandoned when the iteration moves on, and the file is let
 * go however the iteration ends. What only one format has (zip's CP437 names and central
 * directory, tar's link types and gzip ratio) stays in that format's own file.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { EntryAbandonedError, SourceUsageError } from '../../lib/ingest/sources/errors.ts';
import { archiveLimits } from '../../lib/ingest/sources/limits.ts';
import { readSource } from '../../lib/ingest/sources/read-source.ts';
import { sourceKindOf } from '../../lib/ingest/sources/source-kind.ts';
import { TINY_PNG } from '../fixtures/archives.ts';
import {
  assertLetsGoOfFile,
  collect,
  noFdTable,
  readBody,
  summary,
  within,
} from './source-items.ts';
import { suiteTempDir } from './temp.ts';

/** An entry as the contract needs it, whatever the format writes it as. */
export type ContractEntry =
  | { readonly name: string; readonly data?: Uint8Array }
  | { readonly name: string; readonly directory: true }
  | { readonly name: string; readonly symlinkTo: string };

export interface ArchiveFormat {
  /** 'zip', 'tar' or 'tar.gz', as sourceKindOf names it. */
  readonly kind: string;
  readonly ext: string;
  /** Writes an archive of `entries` at `path` and returns the path. */
  write(path: string, entries: readonly ContractEntry[]): Promise<string>;
  /** Whether the reader knows the number of entries before reading them (zip's directory). */
  readonly countsEntriesFirst: boolean;
}

const MiB = 1024 * 1024;
const png = (name: string): ContractEntry => ({ name, data: TINY_PNG });

export function archiveReaderContract(format: ArchiveFormat): void {
  describe(`${format.kind} source: the archive reader contract`, () => {
    const at = suiteTempDir(`${format.ext}-contract`);
    const archive = (name: string, entries: readonly ContractEntry[]) =>
      format.write(at(`${name}.${format.ext}`), entries);

    it('yields regular entries below the archive’s name, bodies intact, hidden ones ignored', async () => {
      const data = Buffer.alloc(300_000, 9);
      const long = `deep/${'d'.repeat(120)}/${'n'.repeat(90)}.png`;
      const path = await archive('photos', [
        png('a.png'),
        { name: 'dir/', directory: true },
        { name: 'dir/big.bin', data },
        png(long),
        png('.hidden/x.png'),
        png('__MACOSX/._a.png'),
      ]);
      assert.equal(await sourceKindOf(path), format.kind);
      const { outcomes, progress } = await collect(path, { keyPrefix: 'uploads/' });
      assert.deepEqual(summary(outcomes), [
        '0 photos/a.png',
        '1 photos/dir/big.bin',
        `2 photos/${long}`,
      ]);
      const [a, big] = outcomes;
      assert.ok(a?.kind === 'entry' && big?.kind === 'entry');
      assert.deepEqual(a.body, TINY_PNG);
      assert.deepEqual(big.body, data);
      assert.equal(a.source, `${path}:a.png`);
      const size = (await readFile(path)).byteLength;
      assert.deepEqual(progress, {
        bytesRead: size,
        totalBytes: size,
        entriesKnown: format.countsEntriesFirst ? 6 : undefined,
        items: 3,
        ignored: 3,
      });
    });

    it('refuses traversal, nested archives, empty entries, collisions and overlong names', async () => {
      const path = await archive('names', [
        png('../../evil.png'),
        png('/tmp/evil.png'),
        png('ok\\..\\..\\evil.png'),
        png('inner.zip'),
        png('inner.TAR.GZ'),
        { name: 'empty.png', data: new Uint8Array(0) },
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
        '4 refused nested-archive',
        '5 refused empty-entry',
        '6 names/café.png',
        '7 refused name-collision',
        '8 refused name-too-long',
        '9 names/ok.png',
      ]);
    });

    it('counts the key prefix against S3’s 1,024-byte key limit', async () => {
      const name = 'n'.repeat(1024 - 'uploads/'.length - 'fit/'.length);
      const path = await archive('fit', [png(name), png(`${name}x`)]);
      const { outcomes } = await collect(path, { keyPrefix: 'uploads/' });
      assert.deepEqual(
        outcomes.map((o) => (o.kind === 'refused' ? o.reason : 'entry')),
        ['entry', 'name-too-long'],
      );
    });

    it('refuses a symbolic link, and an entry written through it', async () => {
      const path = await archive('links', [
        { name: 'images/link', symlinkTo: '/etc' },
        png('images/link/evil.png'),
        png('images/ok.png'),
      ]);
      const { outcomes } = await collect(path);
      assert.deepEqual(summary(outcomes), [
        '0 refused not-a-regular-file',
        '1 refused path-traversal',
        '2 links/images/ok.png',
      ]);
      const through = outcomes[1];
      assert.ok(through?.kind === 'refused');
      assert.match(
        through.detail,
        /passes through "links\/images\/link", a link declared by item 0/,
      );
    });

    it('refuses an entry declared larger than maxEntryBytes and reads on', async () => {
      const path = await archive('large', [
        { name: 'big.bin', data: Buffer.alloc(3 * MiB) },
        png('after.png'),
      ]);
      const limits = archiveLimits({ maxEntryBytes: 2 * MiB });
      const { outcomes } = await collect(path, { limits });
      assert.deepEqual(summary(outcomes), ['0 refused entry-too-large', '1 large/after.png']);
      const last = outcomes[1];
      assert.ok(last?.kind === 'entry');
      assert.deepEqual(last.body, TINY_PNG);
    });

    it('ends the archive past maxEntries (directories count)', async () => {
      const files = Array.from({ length: 12 }, (_, i) => png(`${i}.png`));
      const path = await archive('count', [{ name: 'd/', directory: true }, ...files]);
      const { outcomes } = await collect(path, { limits: archiveLimits({ maxEntries: 5 }) });
      assert.deepEqual(summary(outcomes).slice(-2), [
        '3 count/3.png',
        '4 refused too-many-entries',
      ]);
    });

    it('skips entries already done without opening them, indices unchanged', async () => {
      const path = await archive('resume', [
        png('a.png'),
        png('../x.png'),
        png('b.png'),
        png('c.png'),
      ]);
      const seen: [number, string][] = [];
      const { outcomes } = await collect(path, {
        skip: (index, name) => {
          seen.push([index, name]);
          return name !== 'resume/c.png';
        },
      });
      assert.deepEqual(seen, [
        [0, 'resume/a.png'],
        [2, 'resume/b.png'],
        [3, 'resume/c.png'],
      ]);
      assert.deepEqual(summary(outcomes), ['1 refused path-traversal', '3 resume/c.png']);
    });

    it('holds callers to the iteration contract: a body mid-read is abandoned on advancing', async () => {
      const path = await archive('abandon', [
        { name: 'a.bin', data: Buffer.alloc(4 * MiB, 1) },
        png('b.png'),
      ]);
      const reader = readSource(path);
      const iterator = reader.items[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.ok(!first.done && first.value.kind === 'entry');
      const entry = first.value.entry;
      const body = entry.open();
      assert.throws(() => entry.open(), SourceUsageError, 'a body opens once');
      const failed = new Promise<unknown>((resolve) => body.on('error', resolve));
      body.once('readable', () => body.read(1024));
      const second = await within(iterator.next());
      assert.ok((await within(failed)) instanceof EntryAbandonedError);
      assert.ok(!second.done && second.value.kind === 'entry');
      assert.deepEqual((await readBody(second.value.entry)).body, TINY_PNG);
      assert.equal((await iterator.next()).done, true);
      assert.throws(() => reader.items[Symbol.asyncIterator](), SourceUsageError, 'read once');
    });

    it('lets go of the file however the iteration ends', { skip: noFdTable }, async () => {
      const path = await archive('fds', [
        { name: 'a.bin', data: Buffer.alloc(300_000, 1) },
        png('b.png'),
        png('c.png'),
      ]);
      await assertLetsGoOfFile(path);
    });
  });
}
