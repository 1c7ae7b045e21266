import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limitsSchema } from '../../events/config/schema.ts';
import { archiveLimits, defaultArchiveLimits } from '../../lib/ingest/sources/limits.ts';
import { ArchiveBudget, EntryMeter } from '../../lib/ingest/sources/meter.ts';
import { UsageError } from '../../lib/ops/errors.ts';

const MiB = 1024 * 1024;

describe('archive limits', () => {
  it('defaults, written out', () => {
    assert.deepEqual(defaultArchiveLimits, {
      maxEntries: 1_000_000,
      maxEntryBytes: 64 * MiB,
      maxTotalBytes: 1024 ** 4,
      maxRatio: 100,
      entryRatioFloorBytes: MiB,
      archiveRatioFloorBytes: 1024 * MiB,
    });
  });
  it('caps an entry at the worker’s default maxBytes', () => {
    assert.equal(defaultArchiveLimits.maxEntryBytes, limitsSchema.parse({}).maxBytes);
  });
  it('takes overrides and reports every bad value and unknown key at once', () => {
    assert.equal(archiveLimits({ maxEntries: 10_000 }).maxEntries, 10_000);
    assert.throws(
      () => archiveLimits({ maxEntries: 0, maxRatio: -1, nope: 1 } as never),
      (error: unknown) =>
        error instanceof UsageError &&
        /maxEntries/.test(error.message) &&
        /maxRatio/.test(error.message) &&
        /nope/.test(error.message),
    );
    assert.throws(() => archiveLimits({ maxEntryBytes: 1.5 }), UsageError);
  });
});

describe('EntryMeter', () => {
  const limits = archiveLimits({
    maxEntryBytes: 8 * MiB,
    entryRatioFloorBytes: MiB,
    maxRatio: 100,
  });
  const chunk = Buffer.alloc(64 * 1024);

  it('refuses an entry that inflates past maxEntryBytes, counted', () => {
    const meter = new EntryMeter({ limits });
    let verdict: ReturnType<EntryMeter['add']>;
    for (let i = 0; i < 1000 && !verdict; i += 1) verdict = meter.add(chunk);
    assert.equal(verdict?.reason, 'entry-too-large');
    assert.equal(meter.bytes, 8 * MiB + chunk.byteLength);
  });

  it('holds an entry to the ratio only past the floor', () => {
    const meter = new EntryMeter({ limits, compressed: () => 1 });
    for (let i = 0; i < 16; i += 1)
      assert.equal(meter.add(chunk), undefined, '1 MiB at any ratio is fine');
    assert.equal(meter.add(chunk)?.reason, 'ratio-limit');
  });

  it('lets an honest ratio through', () => {
    let compressed = 0;
    const meter = new EntryMeter({ limits, compressed: () => compressed });
    for (let i = 0; i < 64; i += 1) {
      compressed += chunk.byteLength / 50;
      assert.equal(meter.add(chunk), undefined);
    }
  });

  it('checks the size and CRC a header declares', () => {
    const data = Buffer.from('hello');
    const over = new EntryMeter({ limits, expectedSize: 4 });
    assert.equal(over.add(data)?.reason, 'corrupt-entry');
    const short = new EntryMeter({ limits, expectedSize: 6 });
    assert.equal(short.add(data), undefined);
    assert.equal(short.end()?.reason, 'corrupt-entry');
    const crc = new EntryMeter({ limits, expectedSize: 5, expectedCrc: 0x3610a686 });
    assert.equal(crc.add(data), undefined);
    assert.equal(crc.end(), undefined);
    const badCrc = new EntryMeter({ limits, expectedSize: 5, expectedCrc: 1 });
    badCrc.add(data);
    assert.match(badCrc.end()?.detail ?? '', /CRC-32 0x3610a686/);
  });
});

describe('ArchiveBudget', () => {
  it('ends the archive past maxTotalBytes', () => {
    const budget = new ArchiveBudget(archiveLimits({ maxTotalBytes: 10 }));
    assert.equal(budget.add(10, 10), undefined);
    assert.equal(budget.add(1, 1)?.reason, 'archive-too-large');
    assert.equal(budget.add(0, 0)?.reason, 'archive-too-large', 'it stays exceeded');
  });
  it('holds the whole archive to the ratio past its floor', () => {
    const budget = new ArchiveBudget(archiveLimits({ archiveRatioFloorBytes: 1000, maxRatio: 10 }));
    assert.equal(budget.add(1000, 1), undefined, 'under the floor');
    assert.equal(budget.add(1, 0)?.reason, 'archive-too-large');
    const honest = new ArchiveBudget(archiveLimits({ archiveRatioFloorBytes: 1000, maxRatio: 10 }));
    assert.equal(honest.add(100_000, 10_000), undefined);
  });
});
