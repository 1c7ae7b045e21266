/**
 * `npm run bench`: every benchmark, each printing ratios against a baseline measured in the same
 * run on the same machine (never absolute thresholds). Needs ../shared/corpus/photos.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveResult } from './lib/report.ts';
import { benchRunVsSharp } from './run-vs-sharp.ts';

const corpus = resolve(
  process.env.PIXELMILL_CORPUS ??
    join(fileURLToPath(new URL('../..', import.meta.url)), 'shared', 'corpus'),
);
const photos = join(corpus, 'photos');
if (!existsSync(photos)) {
  process.stderr.write(`bench: ${photos} not found (set PIXELMILL_CORPUS); nothing to measure\n`);
  process.exit(1);
}
const rounds = Number(process.env.PIXELMILL_BENCH_ROUNDS ?? 2);

const run = await benchRunVsSharp(photos, rounds);
process.stdout.write(`${run.markdown}\n`);
const file = await saveResult('run-vs-sharp', run.data);
process.stderr.write(`saved ${file}\n`);
