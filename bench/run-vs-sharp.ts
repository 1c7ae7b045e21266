/**
 * `pixelmill run` against plain sharp, in the same run on the same cores.
 *
 * Input: ../shared/corpus/photos three times over (45 images). Three ways to make the six default
 * renditions of each and write them to disk, each with as many images in flight as the machine
 * has cores:
 *   - pipeline: the real CLI (`pixelmill run`, a child process with a fresh state dir): local
 *     cloud, uploads, queue, workers, DynamoDB, export;
 *   - plain loop: the sharp loop people write, one pipeline per output (six decodes per image);
 *   - engine only: pixelmill's imaging engine (decode once) called in a loop, no cloud.
 * Each is run `rounds` times, interleaved; the best round counts (least disturbed by noise).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { defaultConfig } from '../lib/config/parse.ts';
import { fileExtensions } from '../lib/imaging/encode.ts';
import { renderImage } from '../lib/imaging/render.ts';
import { mapPool } from '../lib/ops/pool.ts';
import { type Row, table } from './lib/report.ts';

// The launcher users run: its memory settings and the pinned Node.
const LAUNCHER = fileURLToPath(new URL('../bin/pixelmill', import.meta.url));
const COPIES = 3;

async function prepareInputs(photos: string, dir: string): Promise<string[]> {
  const names = (await readdir(photos)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
  const files: string[] = [];
  for (let copy = 1; copy <= COPIES; copy++) {
    const sub = join(dir, 'input', `copy-${copy}`);
    await mkdir(sub, { recursive: true });
    for (const name of names) {
      await symlink(join(photos, name), join(sub, name));
      files.push(join(sub, name));
    }
  }
  return files;
}

async function timePipeline(inputDir: string, work: string, concurrency: number): Promise<number> {
  const state = join(work, 'state');
  const out = join(work, 'out');
  await rm(work, { recursive: true, force: true });
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      LAUNCHER,
      [
        'run',
        inputDir,
        '--out',
        out,
        '--state',
        state,
        '--concurrency',
        String(concurrency),
        '--json',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`pixelmill run exited ${code}: ${stderr}`)),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
    summary: { done: number };
  };
  if (manifest.summary.done !== 0 && manifest.summary.done % 15 !== 0)
    throw new Error('unexpected manifest');
  return seconds;
}

async function timePlainLoop(
  files: readonly string[],
  out: string,
  concurrency: number,
): Promise<number> {
  const config = defaultConfig();
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const started = performance.now();
  await mapPool(files, concurrency, async (file, index) => {
    for (const preset of config.presets) {
      for (const spec of preset.formats) {
        const pipeline = sharp(file, { failOn: 'warning' })
          .autoOrient()
          .resize({ width: preset.width, withoutEnlargement: true });
        const encoded =
          spec.format === 'jpeg'
            ? pipeline.jpeg({ quality: 80, progressive: true })
            : pipeline.webp({ quality: 80 });
        await writeFile(
          join(
            out,
            `${index}-${preset.name}.${fileExtensions[spec.format === 'jpeg' ? 'jpeg' : 'webp']}`,
          ),
          await encoded.toBuffer(),
        );
      }
    }
  });
  return (performance.now() - started) / 1000;
}

async function timeEngine(
  files: readonly string[],
  out: string,
  concurrency: number,
): Promise<number> {
  const config = defaultConfig();
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const started = performance.now();
  await mapPool(files, concurrency, async (file, index) => {
    const result = await renderImage(await readFile(file), config);
    for (const r of result.renditions) {
      await writeFile(join(out, `${index}-${r.presetName}.${fileExtensions[r.format]}`), r.data);
    }
  });
  return (performance.now() - started) / 1000;
}

export async function benchRunVsSharp(
  photos: string,
  rounds = 2,
): Promise<{ markdown: string; data: unknown }> {
  const concurrency = availableParallelism();
  const dir = await mkdtemp(join(tmpdir(), 'pixelmill-bench-'));
  try {
    const files = await prepareInputs(photos, dir);
    const best = {
      pipeline: Number.POSITIVE_INFINITY,
      plain: Number.POSITIVE_INFINITY,
      engine: Number.POSITIVE_INFINITY,
    };
    for (let round = 1; round <= rounds; round++) {
      const plain = await timePlainLoop(files, join(dir, 'plain'), concurrency);
      const pipeline = await timePipeline(join(dir, 'input'), join(dir, 'pipeline'), concurrency);
      const engine = await timeEngine(files, join(dir, 'engine'), concurrency);
      process.stderr.write(
        `round ${round}: pipeline ${pipeline.toFixed(1)} s, plain loop ${plain.toFixed(1)} s, engine only ${engine.toFixed(1)} s\n`,
      );
      best.pipeline = Math.min(best.pipeline, pipeline);
      best.plain = Math.min(best.plain, plain);
      best.engine = Math.min(best.engine, engine);
    }
    const ips = (seconds: number) => files.length / seconds;
    const rows: Row[] = [
      {
        name: 'pixelmill run (CLI, local cloud)',
        values: {
          seconds: best.pipeline.toFixed(1),
          'images/s': ips(best.pipeline).toFixed(2),
          'vs plain loop': (best.plain / best.pipeline).toFixed(2),
        },
      },
      {
        name: 'plain sharp loop (one pipeline per output)',
        values: {
          seconds: best.plain.toFixed(1),
          'images/s': ips(best.plain).toFixed(2),
          'vs plain loop': '1.00',
        },
      },
      {
        name: 'pixelmill engine only (no cloud)',
        values: {
          seconds: best.engine.toFixed(1),
          'images/s': ips(best.engine).toFixed(2),
          'vs plain loop': (best.plain / best.engine).toFixed(2),
        },
      },
    ];
    const overhead = best.engine / best.pipeline;
    const markdown =
      table(
        `pixelmill run vs plain sharp: ${files.length} images, 6 renditions each, ${concurrency} cores, best of ${rounds}`,
        rows,
      ) +
      `\nPipeline / plain loop: ${(best.plain / best.pipeline).toFixed(2)} (target ≥ 0.70, goal ≥ 0.90).\n` +
      `Pipeline / engine only: ${overhead.toFixed(2)} (what the cloud, queue, table and export cost).\n`;
    return {
      markdown,
      data: { images: files.length, concurrency, rounds, best, sharp: sharp.versions },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
