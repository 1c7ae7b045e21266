/**
 * `pixelmill run` against the strongest plain alternatives, in the same run on the same cores,
 * on the reference job (bench/lib/reference-job.ts: 1600/800/320 × JPEG q80 baseline + WebP q80):
 *   - the C reference (vjob cascade, libvips' C API, one libvips thread): the CPU limit;
 *   - a plain sharp script that decodes once and cascades, one process per core
 *     (bench/lib/plain-cascade.ts): the throughput to match;
 *   - pixelmill's engine alone (renderImage in this process, one image at a time): its CPU;
 *   - pixelmill run (the CLI with a fresh state dir: local cloud, uploads, queue, workers, pixel
 *     processes, table, export, manifest, report).
 * Two workloads: the corpus photos three times over (45 images, 0.3–24 MP), and `tiny` generated
 * 96×64 JPEGs, where everything but the pixels is what is measured. CPU is user + system of every
 * process involved, children included; each measurement is the best of `rounds`, interleaved.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderImage } from '../lib/imaging/render.ts';
import { photoLike } from '../test/fixtures/catalogue.ts';
import {
  buildReference,
  referenceJobConfig,
  writeReferenceJobConfig,
} from './lib/reference-job.ts';
import { type Row, table } from './lib/report.ts';
import { settleFileSystem } from './lib/settle-fs.ts';
import { childrenCpu } from './lib/tools.ts';

const LAUNCHER = fileURLToPath(new URL('../bin/pixelmill', import.meta.url));
const PLAIN = fileURLToPath(new URL('./lib/plain-cascade.ts', import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL('../.pixelmill/bench/', import.meta.url));

interface Measured {
  cpu: number;
  wall: number;
}

type Contender = 'reference' | 'plain' | 'engine' | 'run';

function best(into: Partial<Record<Contender, Measured>>, name: Contender, m: Measured) {
  const known = into[name];
  into[name] = known ? { cpu: Math.min(known.cpu, m.cpu), wall: Math.min(known.wall, m.wall) } : m;
}

function checked(r: ReturnType<typeof childrenCpu>, what: string): Measured {
  if (r.failed.length > 0) {
    throw new Error(`${what} failed: ${JSON.stringify(r.failed[0]).slice(0, 1000)}`);
  }
  return { cpu: r.cpu, wall: r.wall };
}

/** Writes `list` (one path per line) and `n` lists of every nth path. */
function lists(dir: string, files: readonly string[], n: number) {
  const all = join(dir, 'all.list');
  writeFileSync(all, `${files.join('\n')}\n`);
  const parts = Array.from({ length: n }, (_, k) => {
    const part = join(dir, `part-${k}.list`);
    writeFileSync(part, `${files.filter((_, i) => i % n === k).join('\n')}\n`);
    return part;
  });
  return { all, parts };
}

async function engineOnly(files: readonly string[]): Promise<Measured> {
  const config = referenceJobConfig();
  const before = process.cpuUsage();
  const started = performance.now();
  for (const file of files) await renderImage(await readFile(file), config);
  const used = process.cpuUsage(before);
  return { cpu: (used.user + used.system) / 1e6, wall: (performance.now() - started) / 1000 };
}

async function measure(
  label: string,
  work: string,
  inputDir: string,
  files: readonly string[],
  rounds: number,
  vjob: string | undefined,
) {
  const cores = availableParallelism();
  mkdirSync(work, { recursive: true });
  const config = writeReferenceJobConfig(work);
  const { all, parts } = lists(work, files, cores);
  const results: Partial<Record<Contender, Measured>> = {};
  // A new directory per contender and round, removed only after the last measurement (settle-fs.ts).
  let round = 0;
  const fresh = (name: string) => {
    const dir = join(work, `${name}-${round}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  for (round = 1; round <= rounds; round++) {
    if (vjob) {
      const out = fresh('vjob');
      const cpu = checked(
        childrenCpu([[vjob, 'cascade', out, all]], { ...process.env, VIPS_CONCURRENCY: '1' }),
        'vjob',
      );
      const wall = checked(
        childrenCpu(
          parts.map((p) => [vjob, 'cascade', out, p]),
          { ...process.env, VIPS_CONCURRENCY: '1' },
          { parallel: true },
        ),
        'vjob per core',
      );
      best(results, 'reference', { cpu: cpu.cpu, wall: wall.wall });
    }
    const plainOut = fresh('plain');
    best(
      results,
      'plain',
      checked(
        childrenCpu(
          parts.map((_, k) => [process.execPath, PLAIN, plainOut, all, String(k), String(cores)]),
          process.env,
          { parallel: true },
        ),
        'plain cascade',
      ),
    );
    best(results, 'engine', await engineOnly(files));
    const runDir = fresh('run');
    best(
      results,
      'run',
      checked(
        childrenCpu([
          [
            LAUNCHER,
            'run',
            inputDir,
            '--out',
            join(runDir, 'out'),
            '--state',
            join(runDir, 'state'),
            '--config',
            config,
            '--json',
          ],
        ]),
        'pixelmill run',
      ),
    );
    // A run that did not make every image is not a measurement of the job.
    const summary = (
      JSON.parse(readFileSync(join(runDir, 'out', 'manifest.json'), 'utf8')) as {
        summary: { done: number };
      }
    ).summary;
    if (summary.done !== files.length) {
      throw new Error(`pixelmill run made ${summary.done} of ${files.length} images`);
    }
    const r = results;
    process.stderr.write(
      `${label} round ${round}: run ${r.run?.wall.toFixed(1)} s, plain ${r.plain?.wall.toFixed(1)} s, ` +
        `reference ${r.reference?.cpu.toFixed(1) ?? '—'} CPU-s, engine ${r.engine?.cpu.toFixed(1)} CPU-s\n`,
    );
  }
  return results;
}

function rows(n: number, r: Partial<Record<Contender, Measured>>): Row[] {
  const plain = r.plain;
  const reference = r.reference;
  const line = (name: string, m: Measured | undefined, wall: boolean): Row => ({
    name,
    values: {
      'wall s': m && wall ? m.wall.toFixed(1) : '—',
      'images/s': m && wall ? (n / m.wall).toFixed(1) : '—',
      'CPU s': m ? m.cpu.toFixed(1) : '—',
      'CPU ms/image': m ? ((m.cpu / n) * 1000).toFixed(1) : '—',
      'throughput vs plain': m && plain && wall ? (plain.wall / m.wall).toFixed(2) : '—',
      'CPU vs C reference': m && reference ? (m.cpu / reference.cpu).toFixed(2) : '—',
    },
  });
  return [
    line('C reference (vjob cascade; CPU: one process, wall: one per core)', reference, true),
    line('plain sharp cascade, one process per core', plain, true),
    line('pixelmill engine only (one image at a time, no cloud)', r.engine, false),
    line('pixelmill run (CLI, local cloud, fresh state)', r.run, true),
  ];
}

function prepareTiny(dir: string, count: number): Promise<string[]> {
  const input = join(dir, 'tiny');
  mkdirSync(input, { recursive: true });
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const file = join(input, `t${String(i).padStart(5, '0')}.jpg`);
      writeFileSync(file, await photoLike(96, 64, (i % 50) + 1));
      return file;
    }),
  );
}

function preparePhotos(photosDir: string, dir: string): string[] {
  const names = readdirSync(photosDir)
    .filter((n) => /\.(jpe?g|png)$/i.test(n))
    .sort();
  const files: string[] = [];
  for (let copy = 1; copy <= 3; copy++) {
    const sub = join(dir, 'photos', `copy-${copy}`);
    mkdirSync(sub, { recursive: true });
    for (const name of names) {
      // Copies, not links: run refuses a link that leaves the directory it was given.
      copyFileSync(join(photosDir, name), join(sub, name));
      files.push(join(sub, name));
    }
  }
  return files;
}

export async function benchRunVsSharp(
  photosDir: string | undefined,
  rounds = 2,
  tinyCount = 2000,
): Promise<{ markdown: string; data: unknown }> {
  // Beside the repository (where .pixelmill, the default state, lives), not in /tmp: on the
  // project's machines /tmp creates files several times slower, which would charge every
  // contender for its file count rather than its work.
  mkdirSync(BENCH_ROOT, { recursive: true });
  const dir = mkdtempSync(join(BENCH_ROOT, 'run-'));
  try {
    const reference = buildReference(dir);
    settleFileSystem(join(dir, 'settle'));
    if (!reference.binary) process.stderr.write(`bench: no C reference (${reference.note})\n`);
    const data: Record<string, unknown> = { cores: availableParallelism(), rounds };
    let markdown = '';
    const summary: string[] = [];
    if (photosDir) {
      const files = preparePhotos(photosDir, dir);
      const r = await measure(
        'photos',
        join(dir, 'w-photos'),
        join(dir, 'photos'),
        files,
        rounds,
        reference.binary,
      );
      data.photos = { images: files.length, ...r };
      markdown += table(
        `The reference job on ${files.length} photos (corpus × 3), ${availableParallelism()} cores, best of ${rounds}`,
        rows(files.length, r),
      );
      if (r.run && r.plain)
        summary.push(
          `photos: run throughput ${(r.plain.wall / r.run.wall).toFixed(2)}× the plain cascade (target ≥ 0.9)`,
        );
      if (r.run && r.reference)
        summary.push(
          `run CPU ${(r.run.cpu / r.reference.cpu).toFixed(2)}× the C reference (target ≤ 1.2)`,
        );
      if (r.engine && r.reference)
        summary.push(
          `engine CPU ${(r.engine.cpu / r.reference.cpu).toFixed(2)}× the C reference (target ≤ 1.1)`,
        );
    }
    const tiny = await prepareTiny(dir, tinyCount);
    const t = await measure(
      'tiny',
      join(dir, 'w-tiny'),
      join(dir, 'tiny'),
      tiny,
      rounds,
      reference.binary,
    );
    data.tiny = { images: tiny.length, ...t };
    markdown += `\n${table(`The reference job on ${tiny.length} generated 96×64 JPEGs, best of ${rounds}`, rows(tiny.length, t))}`;
    if (t.run && t.plain)
      summary.push(
        `tiny: run throughput ${(t.plain.wall / t.run.wall).toFixed(2)}× the plain cascade (target ≥ 0.5)`,
      );
    markdown += `\n${summary.join('; ')}.\n`;
    return { markdown, data };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
