/**
 * `npm run bench`: every benchmark, each printing ratios against baselines measured in the same
 * run on the same machine (never absolute thresholds in tests). Needs ../shared/corpus (or
 * PIXELMILL_CORPUS); `npm run bench -- imaging` runs one (run | imaging | hostile).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHostile } from './hostile-stress.ts';
import { benchImagingCpu } from './imaging-cpu.ts';
import { saveResult } from './lib/report.ts';
import { benchRunVsSharp } from './run-vs-sharp.ts';

const corpus = resolve(
  process.env.PIXELMILL_CORPUS ??
    join(fileURLToPath(new URL('../..', import.meta.url)), 'shared', 'corpus'),
);
const photos = join(corpus, 'photos');
const hostile = join(corpus, 'hostile');
if (!existsSync(photos)) {
  process.stderr.write(`bench: ${photos} not found (set PIXELMILL_CORPUS); nothing to measure\n`);
  process.exit(1);
}
const rounds = Number(process.env.PIXELMILL_BENCH_ROUNDS ?? 2);
const only = new Set(process.argv.slice(2));
const wanted = (name: string) => only.size === 0 || only.has(name);

const benches: [string, () => Promise<{ markdown: string; data: unknown }>][] = [
  ['run', () => benchRunVsSharp(photos, rounds)],
  ['imaging', () => benchImagingCpu(photos, rounds)],
  ['hostile', () => benchHostile(hostile, 10)],
];
for (const [name, run] of benches) {
  if (!wanted(name)) continue;
  if (name === 'hostile' && !existsSync(join(hostile, 'manifest.tsv'))) {
    process.stderr.write(`bench: ${hostile} not found; skipping the hostile set\n`);
    continue;
  }
  const result = await run();
  process.stdout.write(`${result.markdown}\n`);
  process.stderr.write(`saved ${await saveResult(name, result.data)}\n`);
}
