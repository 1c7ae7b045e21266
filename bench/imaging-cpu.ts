/**
 * CPU time per image for the default presets (1600, 800, 320 px × JPEG q80 + WebP q80), on
 * ../shared/corpus/photos, in the same run on the same machine, for:
 *   - pixelmill's engine (decode once at the size every preset needs, derive all six);
 *   - (a) a plain sharp loop, one pipeline per output (six decodes per image);
 *   - (b) libvips' own `vipsthumbnail`, one run per output (shrink-on-load each time);
 *   - (b) ImageMagick `convert`, one run per image writing all six (one decode, with the JPEG
 *     size hint for DCT scaling).
 * CPU time is user + system over every thread (and every child process for the CLIs), so the
 * number does not depend on how many cores a tool uses. Best of `rounds` rounds.
 */

import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { defaultConfig } from '../lib/config/parse.ts';
import { fileExtensions } from '../lib/imaging/encode.ts';
import { renderImage } from '../lib/imaging/render.ts';
import { type Row, table } from './lib/report.ts';
import {
  childrenCpu,
  ensureTools,
  MAGICK_CONVERT,
  roomyMagickPolicyDir,
  toolVersions,
  VIPSTHUMBNAIL,
} from './lib/tools.ts';

const SIZES = [1600, 800, 320];

async function cpuOf(task: () => Promise<void>): Promise<{ cpu: number; wall: number }> {
  const before = process.cpuUsage();
  const started = performance.now();
  await task();
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / 1e6, wall: (performance.now() - started) / 1000 };
}

async function engine(files: readonly string[], out: string) {
  const config = defaultConfig();
  for (const [i, file] of files.entries()) {
    const result = await renderImage(await readFile(file), config);
    for (const r of result.renditions)
      await writeFile(join(out, `${i}-${r.presetName}.${fileExtensions[r.format]}`), r.data);
  }
}

async function plainLoop(files: readonly string[], out: string) {
  for (const [i, file] of files.entries()) {
    for (const width of SIZES) {
      for (const format of ['jpeg', 'webp'] as const) {
        const pipeline = sharp(file, { failOn: 'warning' })
          .autoOrient()
          .resize({ width, withoutEnlargement: true });
        const encoded =
          format === 'jpeg'
            ? pipeline.jpeg({ quality: 80, progressive: true })
            : pipeline.webp({ quality: 80 });
        await writeFile(
          join(out, `${i}-w${width}.${fileExtensions[format]}`),
          await encoded.toBuffer(),
        );
      }
    }
  }
}

function vipsCommands(files: readonly string[], out: string): string[][] {
  return files.flatMap((file, i) =>
    SIZES.flatMap((size) => [
      [
        VIPSTHUMBNAIL,
        file,
        '--size',
        `${size}x>`,
        '-o',
        join(out, `${i}-w${size}.jpg[Q=80,strip,interlace]`),
      ],
      [
        VIPSTHUMBNAIL,
        file,
        '--size',
        `${size}x>`,
        '-o',
        join(out, `${i}-w${size}.webp[Q=80,strip]`),
      ],
    ]),
  );
}

function magickCommands(files: readonly string[], out: string): string[][] {
  return files.map((file, i) => [
    MAGICK_CONVERT,
    '-define',
    `jpeg:size=${2 * (SIZES[0] ?? 1600)}x${2 * (SIZES[0] ?? 1600)}`,
    file,
    '-auto-orient',
    '-strip',
    '-colorspace',
    'sRGB',
    ...SIZES.flatMap((size) => [
      '(',
      '+clone',
      '-resize',
      `${size}x>`,
      '-quality',
      '80',
      '-interlace',
      'Plane',
      '-write',
      join(out, `${i}-w${size}.jpg`),
      '-write',
      join(out, `${i}-w${size}.webp`),
      '+delete',
      ')',
    ]),
    'null:',
  ]);
}

export async function benchImagingCpu(photos: string, rounds = 2) {
  const files = (await readdir(photos))
    .filter((n) => /\.(jpe?g|png)$/i.test(n))
    .sort()
    .map((n) => join(photos, n));
  const tools = ensureTools();
  const magickEnv = { ...process.env, MAGICK_CONFIGURE_PATH: roomyMagickPolicyDir() };
  const work = mkdtempSync(join(tmpdir(), 'pixelmill-bench-cpu-'));
  const fresh = async (name: string) => {
    const dir = join(work, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const best: Record<string, { cpu: number; wall: number; outputs: number }> = {};
  const keep = (name: string, r: { cpu: number; wall: number }, outputs: number) => {
    if (!best[name] || r.cpu < (best[name]?.cpu ?? Number.POSITIVE_INFINITY))
      best[name] = { ...r, outputs };
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      let dir = await fresh('engine');
      keep('engine', await cpuOf(() => engine(files, dir)), (await readdir(dir)).length);
      dir = await fresh('plain');
      keep('plain', await cpuOf(() => plainLoop(files, dir)), (await readdir(dir)).length);
      if (tools.available) {
        dir = await fresh('vips');
        const vips = childrenCpu(vipsCommands(files, dir));
        if (vips.failed.length > 0)
          throw new Error(`vipsthumbnail failed: ${JSON.stringify(vips.failed[0])}`);
        keep('vips', vips, (await readdir(dir)).length);
        dir = await fresh('magick');
        const magick = childrenCpu(magickCommands(files, dir), magickEnv);
        if (magick.failed.length > 0)
          throw new Error(`convert failed: ${JSON.stringify(magick.failed[0])}`);
        keep('magick', magick, (await readdir(dir)).length);
      }
      process.stderr.write(
        `imaging round ${round}: ${Object.entries(best)
          .map(([k, v]) => `${k} ${v.cpu.toFixed(1)} s CPU`)
          .join(', ')}\n`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const perImage = (name: string) => ((best[name]?.cpu ?? Number.NaN) / files.length) * 1000;
  const names: [string, string][] = [
    ['engine', 'pixelmill engine (decode once)'],
    ['plain', '(a) plain sharp loop, one pipeline per output'],
    ['vips', '(b) vipsthumbnail, one run per output'],
    ['magick', '(b) ImageMagick convert, one run per image'],
  ];
  const rows: Row[] = names
    .filter(([key]) => best[key])
    .map(([key, label]) => ({
      name: label,
      values: {
        'CPU ms / image': perImage(key).toFixed(0),
        'wall s (15 images)': (best[key]?.wall ?? 0).toFixed(1),
        outputs: best[key]?.outputs ?? 0,
        'engine is faster by':
          key === 'engine' ? '—' : `${(perImage(key) / perImage('engine')).toFixed(2)}×`,
      },
    }));
  const versions = toolVersions();
  const markdown =
    table(
      `CPU time per image, default presets, ${files.length} photos (0.3–24 MP), best of ${rounds}`,
      rows,
    ) +
    `\nTools: sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}); ${versions.vips}; ${versions.imagemagick} (${tools.note}).\n` +
    `Targets: engine ≥ 1.3× faster than (a), faster than both (b). Files: ${files.map((f) => basename(f)).join(', ')}.\n`;
  return {
    markdown,
    data: {
      files: files.length,
      rounds,
      best,
      versions,
      perImageMs: Object.fromEntries(names.map(([k]) => [k, perImage(k)])),
    },
  };
}
