/**
 * The hostile set (../shared/corpus/hostile), every image file rendered ten times, each file in a
 * process of its own: no crash, no hang, the slowest pass and the peak memory per file. The
 * budget from the imaging issue: the worst file under 2 s and 300 MB, counted as the peak RSS
 * above a baseline process that loads everything and renders nothing. Children run with
 * MALLOC_ARENA_MAX=2, as pixelmill's launchers set it: glibc's default per-thread arenas let
 * repeated decodes fragment the heap and RSS creep up.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Row, table } from './lib/report.ts';

const CHILD = fileURLToPath(new URL('./lib/render-repeatedly.ts', import.meta.url));

interface Measured {
  readonly path: string;
  readonly outcome: string;
  readonly slowestMs: number;
  readonly peakRssMb: number;
}

function measure(file: string, passes: number): Omit<Measured, 'path'> {
  const r = spawnSync(process.execPath, [CHILD, file, String(passes)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    return {
      outcome: `CRASH (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`,
      slowestMs: Number.NaN,
      peakRssMb: Number.NaN,
    };
  }
  return JSON.parse(r.stdout.trim()) as Omit<Measured, 'path'>;
}

export async function benchHostile(hostileDir: string, passes = 10) {
  const lines = readFileSync(join(hostileDir, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1);
  const paths = lines
    .map((l) => l.split('\t'))
    .filter(([, expect]) => expect !== 'archive')
    .map(([path]) => path ?? '');
  const baseline = measure(join(hostileDir, paths[0] ?? ''), 0);
  const results: Measured[] = paths.map((path) => ({
    path,
    ...measure(join(hostileDir, path), passes),
  }));
  const crashes = results.filter((r) => r.outcome.startsWith('CRASH'));
  const slowest = [...results].sort((a, b) => b.slowestMs - a.slowestMs).slice(0, 5);
  const hungriest = [...results].sort((a, b) => b.peakRssMb - a.peakRssMb).slice(0, 5);
  const rows: Row[] = [
    ...slowest.map((r) => ({
      name: `slowest: ${r.path}`,
      values: {
        'slowest pass ms': r.slowestMs.toFixed(0),
        'peak RSS MB': r.peakRssMb.toFixed(0),
        outcome: r.outcome,
      },
    })),
    ...hungriest.map((r) => ({
      name: `most memory: ${r.path}`,
      values: {
        'slowest pass ms': r.slowestMs.toFixed(0),
        'peak RSS MB': r.peakRssMb.toFixed(0),
        outcome: r.outcome,
      },
    })),
    {
      name: 'baseline: Node + sharp loaded, nothing rendered',
      values: {
        'slowest pass ms': '—',
        'peak RSS MB': baseline.peakRssMb.toFixed(0),
        outcome: '—',
      },
    },
  ];
  const worstMs = Math.max(...results.map((r) => r.slowestMs));
  const worstMb = Math.max(...results.map((r) => r.peakRssMb));
  const markdown =
    table(
      `Hostile set: ${results.length} image files × ${passes} passes, one process per file`,
      rows,
    ) +
    `\nCrashes or hangs: ${crashes.length}${crashes.length ? ` (${crashes.map((c) => c.path).join(', ')})` : ''}. ` +
    `Worst single file: ${worstMs.toFixed(0)} ms (budget 2000), ${worstMb.toFixed(0)} MB above the baseline (budget 300).\n`;
  return { markdown, data: { passes, results, baseline } };
}
