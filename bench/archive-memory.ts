/**
 * `node bench/archive-memory.ts [entries] [KiB per entry]`: memory and speed of the source readers
 * over generated archives (zip, tar, tar.gz) far larger inflated than any buffer they hold. Every
 * body is read to the end, as an upload would; RSS is sampled every 500 entries. Flat memory shows
 * as a peak that does not grow with the archive: compare runs at 20,000 and 200,000 entries.
 * Each archive is read in a fresh child process, so its RSS is the reader's, not the generator's.
 * Prints a table and saves bench/results/archive-memory-*.json. No corpus needed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { archiveLimits } from '../lib/ingest/sources/limits.ts';
import { readSource } from '../lib/ingest/sources/read-source.ts';
import { deflatedZeros, writeTar, writeZip, type ZipEntrySpec } from '../test/fixtures/archives.ts';
import { saveResult, table } from './lib/report.ts';

const MiB = 1024 * 1024;

export interface MemoryRun {
  readonly kind: string;
  readonly entries: number;
  readonly inflatedMiB: number;
  readonly fileMiB: number;
  readonly seconds: number;
  readonly rssStartMiB: number;
  readonly rssPeakMiB: number;
  readonly rssEndMiB: number;
}

const rssMiB = () => process.memoryUsage().rss / MiB;

/** Reads every body of the archive at `path`, sampling RSS. */
export async function measure(kind: string, path: string, entries: number): Promise<MemoryRun> {
  globalThis.gc?.();
  const start = rssMiB();
  let peak = start;
  let inflated = 0;
  let count = 0;
  const began = performance.now();
  // The archives are zeros: far past any sane ratio, so the ratio caps are lifted here.
  const limits = archiveLimits({ maxRatio: 1e9, maxEntries: entries + 1 });
  for await (const item of readSource(path, { limits }).items) {
    if (item.kind !== 'entry')
      throw new Error(`unexpected refusal: ${JSON.stringify(item.refusal)}`);
    for await (const chunk of item.entry.open()) inflated += (chunk as Buffer).byteLength;
    count += 1;
    if (count % 500 === 0) peak = Math.max(peak, rssMiB());
  }
  const seconds = (performance.now() - began) / 1000;
  if (count !== entries) throw new Error(`read ${count} of ${entries} entries`);
  return {
    kind,
    entries,
    inflatedMiB: Math.round(inflated / MiB),
    fileMiB: Math.round(((await stat(path)).size / MiB) * 10) / 10,
    seconds: Math.round(seconds * 100) / 100,
    rssStartMiB: Math.round(start),
    rssPeakMiB: Math.round(Math.max(peak, rssMiB())),
    rssEndMiB: Math.round(rssMiB()),
  };
}

/** Writes a zip, a tar and a tar.gz of `entries` entries of `bytes` zeros each, in `dir`. */
export async function makeArchives(
  dir: string,
  entries: number,
  bytes: number,
): Promise<Record<'zip' | 'tar' | 'tar.gz', string>> {
  const zeros = await deflatedZeros(bytes);
  const zipEntries: ZipEntrySpec[] = Array.from({ length: entries }, (_, i) => ({
    name: `d${Math.floor(i / 1000)}/${i}.png`,
    compressed: zeros.compressed,
    crc: zeros.crc,
    declaredSize: bytes,
  }));
  const tarEntries = function* () {
    for (let i = 0; i < entries; i += 1)
      yield { name: `d${Math.floor(i / 1000)}/${i}.png`, zeros: bytes };
  };
  return {
    zip: await writeZip(join(dir, 'many.zip'), zipEntries),
    tar: await writeTar(join(dir, 'many.tar'), tarEntries()),
    'tar.gz': await writeTar(join(dir, 'many.tar.gz'), tarEntries(), { gzip: true }),
  };
}

export async function benchArchiveMemory(
  entries: number,
  bytes: number,
): Promise<{ markdown: string; data: MemoryRun[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'pixelmill-bench-archives-'));
  try {
    const paths = await makeArchives(dir, entries, bytes);
    const runs: MemoryRun[] = [];
    for (const [kind, path] of Object.entries(paths))
      runs.push(measureInChild(kind, path, entries));
    const markdown = table(
      `Source readers: ${entries.toLocaleString('en-US')} entries × ${bytes / 1024} KiB, every body read`,
      runs.map((run) => ({
        name: run.kind,
        values: {
          'inflated MiB': run.inflatedMiB,
          'file MiB': run.fileMiB,
          seconds: run.seconds,
          'MiB/s': Math.round(run.inflatedMiB / run.seconds),
          'RSS start MiB': run.rssStartMiB,
          'RSS peak MiB': run.rssPeakMiB,
          'RSS end MiB': run.rssEndMiB,
        },
      })),
    );
    return { markdown, data: runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function measureInChild(kind: string, path: string, entries: number): MemoryRun {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--measure', kind, path, String(entries)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`measuring ${kind} failed (${child.status})`);
  return JSON.parse(child.stdout) as MemoryRun;
}

if (import.meta.main && process.argv[2] === '--measure') {
  const [, , , kind = '', path = '', entries = '0'] = process.argv;
  process.stdout.write(JSON.stringify(await measure(kind, path, Number(entries))));
} else if (import.meta.main) {
  const entries = Number(process.argv[2] ?? 20_000);
  const kib = Number(process.argv[3] ?? 16);
  const result = await benchArchiveMemory(entries, kib * 1024);
  process.stdout.write(`${result.markdown}\n`);
  process.stderr.write(`saved ${await saveResult('archive-memory', result.data)}\n`);
}
