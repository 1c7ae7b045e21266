/**
 * `npm run bench`: every benchmark, each printing ratios against baselines measured in the same
 * run on the same machine (never absolute thresholds in tests). `npm run bench -- imaging` runs
 * one (run | memory | imaging | heic | hostile | flood | ingest | duplicates | scale; scale only when named: it seeds
 * up to a million rows and takes the better part of an hour). imaging and hostile need ../shared/corpus (or
 * PIXELMILL_CORPUS) and are skipped without it; run and flood use the corpus's photos when present
 * (run then measures its tiny images only; flood generates photos); ingest generates its input;
 * heic needs heif-enc (Debian's libheif-examples) and says so without it.
 * Env: PIXELMILL_BENCH_ROUNDS (default 2), PIXELMILL_BENCH_INGEST_FILES (2000),
 * PIXELMILL_BENCH_INGEST_KIB (150, the mean entry size), PIXELMILL_BENCH_FLOOD_COPIES (200 of
 * each attack), PIXELMILL_BENCH_FLOOD_TIMEOUT (3, CPU seconds per image) and
 * PIXELMILL_BENCH_TINY (2000, run's tiny images) and PIXELMILL_BENCH_MEMORY_LARGE (unset: memory
 * measures 500 and 2,000 images; set, e.g. 100000, it also measures that many) and
 * PIXELMILL_BENCH_SCALE_MAX (1000000: scale's largest table; 100000 when time is short) and
 * PIXELMILL_BENCH_DUPLICATES_MAX (100000 synthetic hashes grouped; 1000000 adds that size, its
 * all-pairs time extrapolated). duplicates also measures the distance threshold on the corpus.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDuplicates } from './duplicates.ts';
import { benchDuplicateThreshold } from './duplicates-threshold.ts';
import { benchHeicCpu } from './heic-cpu.ts';
import { benchFlood, benchHostile } from './hostile-stress.ts';
import { benchImagingCpu } from './imaging-cpu.ts';
import { benchIngest } from './ingest-rate.ts';
import { saveResult } from './lib/report.ts';
import { benchRunMemory } from './run-memory.ts';
import { benchRunVsSharp } from './run-vs-sharp.ts';
import { benchScale } from './scale.ts';

/** A positive integer from the environment, or `fallback` when unset; anything else stops here. */
function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(value)) {
    process.stderr.write(`bench: Expected positive integer for ${name} but received "${value}"\n`);
    process.exit(2);
  }
  return Number(value);
}

const corpus = resolve(
  process.env.PIXELMILL_CORPUS ??
    join(fileURLToPath(new URL('../..', import.meta.url)), 'shared', 'corpus'),
);
const photos = join(corpus, 'photos');
const hostile = join(corpus, 'hostile');
const rounds = envInt('PIXELMILL_BENCH_ROUNDS', 2);

const benches: [string, () => Promise<{ markdown: string; data: unknown }>][] = [
  [
    'run',
    () =>
      benchRunVsSharp(
        existsSync(photos) ? photos : undefined,
        rounds,
        envInt('PIXELMILL_BENCH_TINY', 2000),
      ),
  ],
  [
    'memory',
    () =>
      benchRunMemory(
        process.env.PIXELMILL_BENCH_MEMORY_LARGE
          ? envInt('PIXELMILL_BENCH_MEMORY_LARGE', 100_000)
          : undefined,
      ),
  ],
  ['imaging', () => benchImagingCpu(photos, rounds)],
  ['heic', () => benchHeicCpu(rounds)],
  ['hostile', () => benchHostile(hostile, 10)],
  [
    'flood',
    () =>
      benchFlood(
        existsSync(photos) ? photos : undefined,
        envInt('PIXELMILL_BENCH_FLOOD_COPIES', 200),
        envInt('PIXELMILL_BENCH_FLOOD_TIMEOUT', 3),
      ),
  ],
  [
    'ingest',
    () =>
      benchIngest({
        rounds,
        files: envInt('PIXELMILL_BENCH_INGEST_FILES', 2000),
        kib: envInt('PIXELMILL_BENCH_INGEST_KIB', 150),
      }),
  ],
  ['scale', () => benchScale(envInt('PIXELMILL_BENCH_SCALE_MAX', 1_000_000))],
  [
    'duplicates',
    async () => {
      const max = envInt('PIXELMILL_BENCH_DUPLICATES_MAX', 100_000);
      const grouping = await benchDuplicates(max > 100_000 ? [100_000, max] : [max]);
      if (!existsSync(photos)) return grouping;
      const threshold = await benchDuplicateThreshold(photos);
      return {
        markdown: `${grouping.markdown}\n${threshold.markdown}`,
        data: { grouping: grouping.data, threshold: threshold.data },
      };
    },
  ],
];
/** Run only when asked for by name. */
const onlyWhenNamed = new Set(['scale']);
/** What a bench reads from the corpus; benches not listed need none. */
const needs: Partial<Record<string, string>> = {
  imaging: photos,
  hostile: join(hostile, 'manifest.tsv'),
};

const only = new Set(process.argv.slice(2));
const unknown = [...only].filter((name) => !benches.some(([n]) => n === name));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: no benchmark named ${unknown.join(', ')} (${benches.map(([n]) => n).join(' | ')})\n`,
  );
  process.exit(2);
}
let missing = false;
for (const [name, run] of benches) {
  if (only.size > 0 ? !only.has(name) : onlyWhenNamed.has(name)) continue;
  const needed = needs[name];
  if (needed !== undefined && !existsSync(needed)) {
    process.stderr.write(`bench: ${needed} not found (set PIXELMILL_CORPUS); skipping ${name}\n`);
    // Asked for by name: not measuring it is a failure, not a skip.
    if (only.has(name)) missing = true;
    continue;
  }
  const result = await run();
  process.stdout.write(`${result.markdown}\n`);
  process.stderr.write(`saved ${await saveResult(name, result.data)}\n`);
}
if (missing) process.exitCode = 1;
