/**
 * ../shared/corpus/hostile: the `archive` rows of the manifest (zip-slip, a tar escaping through
 * links, a ratio bomb, 10,001 empty entries, odd names), each read with the source readers and
 * checked against what its row expects. Every archive row must have a check here. Skipped, with a
 * message, without the corpus.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitsKey } from '../../lib/ingest/sources/entry-names.ts';
import { archiveLimits } from '../../lib/ingest/sources/limits.ts';
import { sourceKindOf } from '../../lib/ingest/sources/source-kind.ts';
import { corpusMissing, corpusPath, hostileManifest } from '../helpers/corpus.ts';
import { collect, type Outcome, summary } from '../helpers/source-items.ts';

const skip = corpusMissing('hostile', 'manifest.tsv');
const MiB = 1024 * 1024;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

type Read = Extract<Outcome, { kind: 'entry' }>;
/** Entries whose bodies were read whole. */
const entries = (outcomes: readonly Outcome[]): Read[] =>
  outcomes.filter(
    (o): o is Read => o.kind === 'entry' && o.refused === undefined && o.error === undefined,
  );
const refusals = (outcomes: readonly Outcome[]) =>
  outcomes.flatMap((o) =>
    o.kind === 'refused' ? [o.reason] : o.refused ? [o.refused.reason] : [],
  );

/** One check per archive row, named by its path. */
const checks: Record<string, (path: string) => Promise<void>> = {
  // "extract ok/normal.png only; reject 3 entries with path-traversal reason"
  'synthetic/zip-slip.zip': async (path) => {
    const { outcomes } = await collect(path);
    assert.deepEqual(
      entries(outcomes).map((o) => o.name),
      ['zip-slip/ok/normal.png'],
    );
    assert.deepEqual(refusals(outcomes), ['path-traversal', 'path-traversal', 'path-traversal']);
    const [ok] = entries(outcomes);
    assert.ok(ok?.body?.subarray(0, 4).equals(PNG));
  },

  // "only regular files; reject link/device entries; 1 image accepted"
  'synthetic/tar-symlink-escape.tar': async (path) => {
    const { outcomes } = await collect(path);
    assert.deepEqual(
      entries(outcomes).map((o) => o.name),
      ['tar-symlink-escape/images/ok.png'],
    );
    assert.deepEqual(summary(outcomes), [
      '0 refused not-a-regular-file', // symlink → /etc
      '1 refused path-traversal', // a file written through that link
      '2 refused not-a-regular-file', // hard link → /etc/passwd
      '3 refused not-a-regular-file', // FIFO
      '4 tar-symlink-escape/images/ok.png',
    ]);
  },

  // "stop at ratio/size cap; REJECT archive-too-large": each cap, alone, stops it early.
  'synthetic/zip-ratio-bomb.zip': async (path) => {
    const byHeader = await collect(path);
    assert.deepEqual(summary(byHeader.outcomes), ['0 refused entry-too-large']);
    const byRatio = await collect(path, { limits: archiveLimits({ maxEntryBytes: 1024 * MiB }) });
    assert.deepEqual(summary(byRatio.outcomes), ['0 zip-ratio-bomb/zeros.png failed ratio-limit']);
    const ratioBody = byRatio.outcomes[0];
    assert.ok(ratioBody?.kind === 'entry' && ratioBody.bytesRead <= 2 * MiB);
    const byTotal = await collect(path, {
      limits: archiveLimits({
        maxEntryBytes: 1024 * MiB,
        maxRatio: 10_000,
        maxTotalBytes: 8 * MiB,
      }),
    });
    assert.deepEqual(summary(byTotal.outcomes), [
      '0 zip-ratio-bomb/zeros.png failed archive-too-large',
      '1 refused archive-too-large',
    ]);
    const totalBody = byTotal.outcomes[0];
    assert.ok(totalBody?.kind === 'entry' && totalBody.bytesRead <= 8 * MiB);
  },

  // "REJECT too-many-entries (cap e.g. 10,000) or zero-byte entries rejected individually"
  'synthetic/zip-many-entries.zip': async (path) => {
    const open = await collect(path);
    assert.equal(open.outcomes.length, 10_001);
    assert.deepEqual(new Set(refusals(open.outcomes)), new Set(['empty-entry']));
    const capped = await collect(path, { limits: archiveLimits({ maxEntries: 10_000 }) });
    assert.equal(capped.outcomes.length, 10_001);
    assert.equal(refusals(capped.outcomes).at(-1), 'too-many-entries');
    assert.equal(entries(capped.outcomes).length, 0);
  },

  // "normalise/deny per rules; names > 1024 UTF-8 bytes cannot become S3 keys"
  'synthetic/zip-odd-names.zip': async (path) => {
    const { outcomes } = await collect(path, { keyPrefix: 'uploads/' });
    const names = entries(outcomes).map((o) => o.name);
    assert.deepEqual(names, [
      'zip-odd-names/space name.png',
      'zip-odd-names/plus+sign.png',
      'zip-odd-names/percent%2Fslash.png',
      'zip-odd-names/caf\u00e9-nfc.png',
      'zip-odd-names/caf\u00e9-nfd.png',
      'zip-odd-names/ctrlbell.png',
      'zip-odd-names/rtlgnp.exe',
      'zip-odd-names/emoji-😀.png',
    ]);
    for (const name of names) {
      assert.equal(name, name.normalize('NFC'));
      assert.doesNotMatch(name, /[\p{Cc}\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u);
      assert.ok(fitsKey('uploads/', name));
    }
    assert.deepEqual(refusals(outcomes), ['name-too-long']);
  },
};

describe('the hostile corpus: archives', { skip }, () => {
  it('has a check for every archive row', () => {
    const rows = hostileManifest().filter((r) => r.expect === 'archive');
    assert.ok(rows.length >= 5, `${rows.length} archive rows`);
    assert.deepEqual(
      rows.map((r) => r.path).filter((p) => !(p in checks)),
      [],
    );
  });

  for (const [path, check] of Object.entries(checks)) {
    it(path, async () => {
      const row = hostileManifest()
        .filter((r) => r.expect === 'archive')
        .find((r) => r.path === path);
      assert.ok(row, `${path} is no longer an archive row of the manifest`);
      const file = corpusPath('hostile', path);
      assert.equal(await sourceKindOf(file), path.endsWith('.zip') ? 'zip' : 'tar');
      await check(file);
    });
  }
});
