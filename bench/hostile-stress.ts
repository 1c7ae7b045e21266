/**
 * Two benchmarks of hostile input. `benchHostile`: the hostile set (../shared/corpus/hostile), every image file rendered ten times, each file in a
 * process of its own: no crash, no hang, the slowest pass and the peak memory per file. The
 * budget from the imaging issue: the worst file under 2 s and 300 MB, counted as the peak RSS
 * above a baseline process that loads everything and renders nothing. Children run with
 * MALLOC_ARENA_MAX=2, as pixelmill's launchers set it: glibc's default per-thread arenas let
 * repeated decodes fragment the heap and RSS creep up.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCloud } from '../infra/local/cloud.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { defaultConfigInput } from '../lib/config/defaults.ts';
import { fixture, photoLike } from '../test/fixtures/catalogue.ts';
import { jpegScanBomb } from '../test/fixtures/jpeg-scans.ts';
import { treeRssMb } from '../test/helpers/tree-rss.ts';
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

// ---------------------------------------------------------------------------------------------
// The flood (issue 10): `pixelmill run` over `copies` copies of the worst file of each kind of
// attack, mixed in among 20 photos, against the same 20 photos alone, in the same run. What must
// hold: every photo DONE, memory bounded. What it costs: the photos' latency and the peak RSS.

const LAUNCHER = fileURLToPath(new URL('../bin/pixelmill', import.meta.url));

/** The worst file of each kind found in issue 10 and the first hardening round. */
async function attackKinds(): Promise<{ name: string; bytes: Buffer }[]> {
  const named = [
    'avif-grid-bomb-8192.avif',
    'avif-huge-alpha.avif',
    'avif-lying-ispe.avif',
    'ftyp-huge-size.avif',
    'png-bomb.png',
    'jpeg-bomb.jpg',
    'webp-bomb.webp',
    'gif-bomb.gif',
    'two-soi.jpg',
    // Not an attack but item 5's legitimate heavy upload: a long screenshot made within WebP's cap.
    'tall-screenshot.png',
  ];
  const kinds = await Promise.all(
    named.map(async (name) => ({ name, bytes: await fixture(name).build() })),
  );
  return [...kinds, { name: 'scan-bomb.jpg', bytes: jpegScanBomb({ width: 7071, height: 7071 }) }];
}

async function floodPhotos(
  photosDir: string | undefined,
): Promise<{ name: string; bytes: Buffer }[]> {
  const photos: { name: string; bytes: Buffer }[] = [];
  const names =
    photosDir && existsSync(photosDir)
      ? readdirSync(photosDir)
          .filter((n) => /\.(jpe?g|png)$/i.test(n))
          .sort()
      : [];
  for (let i = 0; i < 20; i++) {
    const name = names[i % Math.max(1, names.length)];
    // A second pass over the corpus gets a changed byte in its tail (a different image to the
    // pipeline, the same work); without the corpus, generated 12 MP photos.
    const bytes =
      name && photosDir
        ? Buffer.concat([
            readFileSync(join(photosDir, name)),
            Buffer.from(i >= names.length ? [i] : []),
          ])
        : await photoLike(4000, 3000, i + 1);
    photos.push({
      name: `photo-${String(i).padStart(2, '0')}${name ? extname(name) : '.jpg'}`,
      bytes,
    });
  }
  return photos;
}

const isPhoto = (source: string) => /(^|-)photo-\d\d\.\w+$/.test(basename(source));

interface FloodRun {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly photosDone: number;
  readonly photosWorstSeconds: number;
  readonly photosMedianSeconds: number;
  readonly outcomes: Record<string, number>;
}

async function runFlood(
  work: string,
  files: readonly { name: string; bytes: Buffer }[],
  configFile: string,
): Promise<FloodRun> {
  const input = join(work, 'input');
  mkdirSync(input, { recursive: true });
  for (const f of files) writeFileSync(join(input, f.name), f.bytes);
  const state = join(work, 'state');
  const out = join(work, 'out');
  const started = performance.now();
  // The CLI's own process tree (the run and its pixel processes), not this one's.
  const child = spawn(
    LAUNCHER,
    ['run', input, '--out', out, '--state', state, '--config', configFile, '--json'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let peakRssMb = 0;
  const sampling = setInterval(() => {
    if (child.pid !== undefined) peakRssMb = Math.max(peakRssMb, treeRssMb(child.pid));
  }, 100);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampling);
  const seconds = (performance.now() - started) / 1000;
  if (status !== 0 && status !== 1) {
    throw new Error(`pixelmill run exited ${status}: ${stderr}`);
  }
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    images: { source: string; key: string; status: string; reason?: string }[];
  };
  const outcomes: Record<string, number> = {};
  for (const image of manifest.images) {
    if (isPhoto(image.source)) continue;
    const label = `${image.status}${image.reason ? ` ${image.reason}` : ''}`;
    outcomes[label] = (outcomes[label] ?? 0) + 1;
  }
  // Latency of each photo: from its upload (the object's Last-Modified, to the second) to its
  // DONE row, read from the run's own state after the CLI exits.
  const cloud = await startLocalCloud({ stateDir: state });
  const clients = createAwsClients(cloud.target);
  const latencies: number[] = [];
  let photosDone = 0;
  try {
    const table = new ImageTable(clients.dynamo, cloud.topology.table);
    const store = new ObjectStore(clients.s3);
    for (const image of manifest.images) {
      if (!isPhoto(image.source)) continue;
      if (image.status === 'DONE') photosDone++;
      const head = await store.head(cloud.topology.uploadsBucket, image.key);
      const rows = await table.rowsOfKey(`${cloud.topology.uploadsBucket}/${image.key}`);
      const done = rows.find((r) => r.status === 'DONE' && r.sk.startsWith('v#'));
      if (head?.lastModified && done) {
        latencies.push((Date.parse(done.updatedAt) - head.lastModified.getTime()) / 1000);
      }
    }
  } finally {
    clients.destroy();
    await cloud.stop();
  }
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    peakRssMb,
    photosDone,
    photosWorstSeconds: latencies.at(-1) ?? Number.NaN,
    photosMedianSeconds: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
    outcomes,
  };
}

/**
 * @param copies of each attack kind (issue 10 asks for 200)
 * @param timeoutSeconds the per-image budget; the default 30 would make 200 scan bombs alone
 *   50 minutes of CPU on two cores, so the flood runs with a few seconds (its point is isolation)
 */
export async function benchFlood(photosDir: string | undefined, copies = 200, timeoutSeconds = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'pixelmill-flood-'));
  try {
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ presets: defaultConfigInput.presets, limits: { timeoutSeconds } }),
    );
    const photos = await floodPhotos(photosDir);
    const kinds = await attackKinds();
    const attacks = kinds.flatMap((kind) =>
      Array.from({ length: copies }, (_, i) => ({
        name: `${String(i).padStart(4, '0')}-${kind.name}`,
        bytes: kind.bytes,
      })),
    );
    // Interleaved by name (the run walks in sorted order): photo i sits among the attacks.
    const mixed = [
      ...attacks,
      ...photos.map((p, i) => ({
        name: `${String(Math.floor(((i + 0.5) * copies) / photos.length)).padStart(4, '0')}-${p.name}`,
        bytes: p.bytes,
      })),
    ];
    const alone = await runFlood(join(dir, 'alone'), photos, configFile);
    const flood = await runFlood(join(dir, 'flood'), mixed, configFile);
    const row = (name: string, files: number, r: FloodRun): Row => ({
      name,
      values: {
        files,
        seconds: r.seconds.toFixed(1),
        'photos DONE': `${r.photosDone}/${photos.length}`,
        'photo latency median s': r.photosMedianSeconds.toFixed(1),
        'photo latency worst s': r.photosWorstSeconds.toFixed(1),
        'peak RSS MiB': r.peakRssMb.toFixed(0),
      },
    });
    const markdown =
      table(
        `Flood: ${copies} copies of each of ${kinds.length} attacks among ${photos.length} photos, \`pixelmill run\`, timeout ${timeoutSeconds} CPU-s`,
        [
          row(`${photos.length} photos alone`, photos.length, alone),
          row('photos + flood', mixed.length, flood),
        ],
      ) +
      `\nAttack outcomes: ${Object.entries(flood.outcomes)
        .map(([k, v]) => `${k} × ${v}`)
        .join(', ')}.\n` +
      `Photos DONE: ${flood.photosDone} of ${photos.length} (all must be). Worst photo latency ` +
      `${(flood.photosWorstSeconds / alone.photosWorstSeconds).toFixed(1)}× alone; peak RSS ` +
      `${(flood.peakRssMb / alone.peakRssMb).toFixed(2)}× alone.\n`;
    if (flood.photosDone !== photos.length) process.exitCode = 1;
    return { markdown, data: { copies, timeoutSeconds, alone, flood } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
