/**
 * `pixelmill run`'s memory against the number of images: generated 96×64 JPEGs, 500 and 2,000 of
 * them (and `large`, e.g. 100,000, when asked: a bench option, not CI — generating and running it
 * takes the better part of an hour on 2 cores), each run a fresh state dir. Measured from outside
 * by procfs every 100 ms: the CLI process itself (its main thread and the local cloud's thread)
 * and, apart, its pixel processes. What issue 11 asks: the CLI's peak grows by less than 10 KB per
 * image from 500 to 2,000, and 100,000 images peak under 400 MB.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { photoLike } from '../test/fixtures/catalogue.ts';
import { treeRssMb } from '../test/helpers/tree-rss.ts';
import { rssMb } from './lib/proc-rss.ts';
import { writeReferenceJobConfig } from './lib/reference-job.ts';
import { type Row, table } from './lib/report.ts';
import { settleFileSystem } from './lib/settle-fs.ts';

const LAUNCHER = fileURLToPath(new URL('../bin/pixelmill', import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL('../.pixelmill/bench/', import.meta.url));
/** Generated images are kept here between benchmark runs (100,000 take minutes to make). */
const INPUTS = join(BENCH_ROOT, 'memory-inputs');

async function images(dir: string, count: number): Promise<string> {
  const input = join(dir, `tiny-${count}`);
  mkdirSync(input, { recursive: true });
  const have = new Set(readdirSync(input));
  for (let i = 0; i < count; i++) {
    const name = `t${String(i).padStart(6, '0')}.jpg`;
    if (!have.has(name)) writeFileSync(join(input, name), await photoLike(96, 64, (i % 50) + 1));
  }
  return input;
}

interface Measured {
  readonly images: number;
  readonly seconds: number;
  readonly cliPeakMb: number;
  readonly treePeakMb: number;
}

async function measure(
  dir: string,
  input: string,
  count: number,
  config: string,
): Promise<Measured> {
  // Kept until every size is measured: removing it now would slow the next run (settle-fs.ts).
  const work = join(dir, `run-${count}`);
  const started = performance.now();
  const child = spawn(
    LAUNCHER,
    ['run', input, '--out', join(work, 'out'), '--state', join(work, 'state'), '--config', config],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-3000);
  });
  let cliPeakMb = 0;
  let treePeakMb = 0;
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    cliPeakMb = Math.max(cliPeakMb, rssMb(child.pid));
    treePeakMb = Math.max(treePeakMb, treeRssMb(child.pid));
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`pixelmill run of ${count} images exited ${code}: ${stderr}`);
  return { images: count, seconds: (performance.now() - started) / 1000, cliPeakMb, treePeakMb };
}

export async function benchRunMemory(large?: number): Promise<{ markdown: string; data: unknown }> {
  mkdirSync(BENCH_ROOT, { recursive: true });
  const dir = mkdtempSync(join(BENCH_ROOT, 'memory-'));
  try {
    const config = writeReferenceJobConfig(dir);
    const sizes = [500, 2000, ...(large ? [large] : [])];
    const inputs = await Promise.all(sizes.map((count) => images(INPUTS, count)));
    settleFileSystem(join(dir, 'settle'));
    const results: Measured[] = [];
    for (const [i, count] of sizes.entries()) {
      results.push(await measure(dir, inputs[i] ?? '', count, config));
      process.stderr.write(`memory: ${count} images measured\n`);
    }
    const [small, big] = results;
    const perImageKb =
      small && big ? ((big.cliPeakMb - small.cliPeakMb) * 1024) / (big.images - small.images) : NaN;
    const rows: Row[] = results.map((r) => ({
      name: `${r.images} images`,
      values: {
        seconds: r.seconds.toFixed(1),
        'CLI peak RSS MiB': r.cliPeakMb.toFixed(0),
        'with pixel processes MiB': r.treePeakMb.toFixed(0),
      },
    }));
    const largest = results.at(-1);
    const markdown =
      table(
        'pixelmill run: peak memory by number of images (96×64 JPEGs, fresh state each)',
        rows,
      ) +
      `\nGrowth of the CLI's peak from 500 to 2,000 images: ${perImageKb.toFixed(1)} KB per image (target < 10).` +
      (large && largest
        ? ` ${large} images: ${largest.cliPeakMb.toFixed(0)} MiB (target < 400).`
        : '') +
      '\n';
    return { markdown, data: { results, perImageKb } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
