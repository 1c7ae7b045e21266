/**
 * Flat memory: reading every body of an archive that inflates to ~300 MiB grows RSS by far less
 * than the data, after a warm-up. Generous on purpose (GC and allocator noise vary by machine);
 * `bench/archive-memory.ts` measures the same thing properly, at 10× the size.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveLimits } from '../../lib/ingest/sources/limits.ts';
import { readSource } from '../../lib/ingest/sources/read-source.ts';
import { deflatedZeros, writeTar, writeZip } from '../fixtures/archives.ts';
import { suiteTempDir } from '../helpers/temp.ts';

const MiB = 1024 * 1024;
const WARM_UP = 1_000;

async function growth(path: string, entries: number): Promise<{ inflated: number; grew: number }> {
  const limits = archiveLimits({ maxRatio: 1e9 });
  let baseline = 0;
  let peak = 0;
  let inflated = 0;
  let count = 0;
  for await (const item of readSource(path, { limits }).items) {
    assert.equal(item.kind, 'entry');
    if (item.kind !== 'entry') continue;
    for await (const chunk of item.entry.open()) inflated += (chunk as Buffer).byteLength;
    count += 1;
    if (count === WARM_UP) baseline = process.memoryUsage().rss;
    if (count > WARM_UP && count % 250 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  assert.equal(count, entries);
  return { inflated, grew: peak - baseline };
}

describe('source readers keep memory flat', () => {
  const at = suiteTempDir('archive-memory');

  it('zip: 10,000 entries, 312 MiB inflated', async () => {
    const zeros = await deflatedZeros(32 * 1024);
    const path = await writeZip(
      at('many.zip'),
      Array.from({ length: 10_000 }, (_, i) => ({
        name: `${i}.png`,
        compressed: zeros.compressed,
        crc: zeros.crc,
        declaredSize: 32 * 1024,
      })),
    );
    const { inflated, grew } = await growth(path, 10_000);
    assert.equal(inflated, 10_000 * 32 * 1024);
    assert.ok(grew < 128 * MiB, `RSS grew ${Math.round(grew / MiB)} MiB after the warm-up`);
  });

  it('tar.gz: 20,000 entries, 312 MiB inflated', async () => {
    const entries = function* () {
      for (let i = 0; i < 20_000; i += 1) yield { name: `${i}.png`, zeros: 16 * 1024 };
    };
    const path = await writeTar(at('many.tgz'), entries(), { gzip: true });
    const { inflated, grew } = await growth(path, 20_000);
    assert.equal(inflated, 20_000 * 16 * 1024);
    assert.ok(grew < 128 * MiB, `RSS grew ${Math.round(grew / MiB)} MiB after the warm-up`);
  });
});
