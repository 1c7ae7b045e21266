/**
 * `npm run bench -- ingest`: how fast `pixelmill ingest` puts a large zip into the uploads bucket,
 * against a plain copy of the same bytes. No corpus needed.
 *
 * Input, generated in a temporary directory: a zip of `files` distinct photo-like JPEGs (camera
 * noise, so they do not compress to nothing) of 2/3 to 4/3 of `kib` KiB each, deflated (level 6,
 * zip's usual), so the ingest pays the inflate a real archive costs. Both sides write into one
 * local cloud started in this process, with the same concurrency (8, the CLI's default):
 *   - plain copy: the same entries' bytes, already in memory, sent with one PutObject each;
 *   - pixelmill ingest: the real CLI (bin/pixelmill, a child process) reading the zip, joining the
 *     cloud through the state directory's cloud.json.
 * The two alternate, `rounds` times, each round under fresh key prefixes (nothing is already
 * there); the median round counts. Env: PIXELMILL_BENCH_INGEST_FILES, PIXELMILL_BENCH_INGEST_KIB
 * and PIXELMILL_BENCH_ROUNDS (read in main.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import sharp from 'sharp';
import { startLocalCloud } from '../infra/local/cloud.ts';
import { createTopology } from '../infra/topology.ts';
import { mapPool } from '../lib/async/pool.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { writeZip } from '../test/fixtures/archives.ts';
import { photoPixels } from '../test/fixtures/catalogue.ts';
import { type Row, table } from './lib/report.ts';

const LAUNCHER = fileURLToPath(new URL('../bin/pixelmill', import.meta.url));
const CONCURRENCY = 8;
/** Distinct pictures behind the entries; each entry is one of them with its own stamp. */
const BASES = 16;
const KiB = 1024;

export interface IngestBenchOptions {
  readonly rounds: number;
  /** Entries in the zip. */
  readonly files: number;
  /** Mean entry size; entries range from 2/3 to 4/3 of it. */
  readonly kib: number;
}

interface Entry {
  readonly name: string;
  readonly data: Buffer;
}

/** A photo-like picture with camera noise (a fixed-seed xorshift), as raw RGB. */
function noisyPixels(width: number, height: number, seed: number): Buffer {
  const pixels = photoPixels(width, height, 1 + (seed % 5));
  let state = 0x9e3779b9 ^ (seed * 0x85ebca6b);
  for (let i = 0; i < pixels.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    pixels[i] = Math.max(0, Math.min(255, (pixels[i] ?? 0) + ((state >>> 0) % 41) - 20));
  }
  return pixels;
}

const encode = (width: number, height: number, seed: number) =>
  sharp(noisyPixels(width, height, seed), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();

/** A JPEG of about `bytes`: encoded once small to learn the bytes per pixel, then at size. */
async function jpegOfAbout(bytes: number, seed: number): Promise<Buffer> {
  const probe = await encode(400, 300, seed);
  const scale = Math.sqrt(bytes / probe.length);
  return encode(Math.max(16, Math.round(400 * scale)), Math.max(16, Math.round(300 * scale)), seed);
}

/** `jpeg` with a COM segment (JPEG's comment marker, 0xFFFE) after SOI: same picture, own bytes. */
function stamped(jpeg: Buffer, text: string): Buffer {
  const comment = Buffer.from(text, 'latin1');
  const marker = Buffer.alloc(4);
  marker.writeUInt16BE(0xfffe, 0);
  marker.writeUInt16BE(comment.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), marker, comment, jpeg.subarray(2)]);
}

async function makeEntries(files: number, kib: number): Promise<Entry[]> {
  const bases = await mapPool(
    Array.from({ length: BASES }, (_, b) => b),
    availableParallelism(),
    (b) => jpegOfAbout(kib * KiB * (2 / 3 + ((2 / 3) * b) / (BASES - 1)), b + 1),
  );
  return Array.from({ length: files }, (_, i) => {
    const id = String(i).padStart(6, '0');
    return {
      name: `roll-${Math.floor(i / 500)}/img-${id}.jpg`,
      data: stamped(bases[(i * 7) % BASES] as Buffer, `pixelmill bench entry ${id}`),
    };
  });
}

/** Writes the zip, each entry deflated on zlib's thread pool. */
async function writeDeflatedZip(path: string, entries: readonly Entry[]): Promise<void> {
  const deflate = promisify(deflateRaw);
  const specs = await mapPool(entries, availableParallelism(), async (e) => ({
    name: e.name,
    compressed: await deflate(e.data),
    crc: crc32(e.data),
    declaredSize: e.data.length,
  }));
  await writeZip(path, specs);
}

interface IngestJson {
  seconds: number;
  peakRssBytes: number;
  sources: { uploaded: number; bytes: number; refused: unknown[]; failed: unknown[] }[];
}

/** Runs `pixelmill ingest` as users do; its JSON report and the wall time seen from here. */
async function runIngest(
  zip: string,
  stateDir: string,
  prefix: string,
): Promise<{ wall: number; report: IngestJson }> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    const child = spawn(
      LAUNCHER,
      [
        'ingest',
        zip,
        '--state',
        stateDir,
        '--prefix',
        prefix,
        '--concurrency',
        String(CONCURRENCY),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const wall = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`pixelmill ingest exited ${code}: ${stderr}${stdout}`);
  return { wall, report: JSON.parse(stdout) as IngestJson };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export async function benchIngest(
  options: IngestBenchOptions,
): Promise<{ markdown: string; data: unknown }> {
  const dir = await mkdtemp(join(tmpdir(), 'pixelmill-bench-ingest-'));
  try {
    return await measure(options, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(
  { rounds, files, kib }: IngestBenchOptions,
  dir: string,
): Promise<{ markdown: string; data: unknown }> {
  const stateDir = join(dir, 'state');
  const topology = createTopology();
  const cloud = await startLocalCloud({ stateDir, topology });
  const clients = createAwsClients(cloud.target);
  try {
    const began = performance.now();
    const entries = await makeEntries(files, kib);
    const zip = join(dir, 'photos.zip');
    await writeDeflatedZip(zip, entries);
    const bytes = entries.reduce((n, e) => n + e.data.length, 0);
    const zipBytes = (await stat(zip)).size;
    process.stderr.write(
      `ingest: ${files} entries, ${(bytes / 1e6).toFixed(0)} MB (zip ${(zipBytes / 1e6).toFixed(0)} MB) made in ${((performance.now() - began) / 1000).toFixed(1)} s\n`,
    );

    const store = new ObjectStore(clients.s3);
    const copy = (batch: readonly Entry[], prefix: string) =>
      mapPool(batch, CONCURRENCY, (e) =>
        store.put(topology.uploadsBucket, `${topology.uploadsPrefix}${prefix}/${e.name}`, e.data, {
          contentType: 'image/jpeg',
          contentLength: e.data.length,
        }),
      );
    // Untimed: a cold first round (JIT, sockets) would flatter the ingest against its floor.
    await copy(entries.slice(0, Math.max(200, Math.ceil(files / 10))), 'bench-warmup');
    const plain: number[] = [];
    const wall: number[] = [];
    const own: number[] = [];
    const peakRss: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const started = performance.now();
      await copy(entries, `bench-plain-${round}`);
      plain.push((performance.now() - started) / 1000);

      const { wall: seconds, report } = await runIngest(zip, stateDir, `bench-zip-${round}`);
      const source = report.sources[0];
      if (
        !source ||
        source.uploaded !== files ||
        source.bytes !== bytes ||
        source.refused.length + source.failed.length > 0
      ) {
        throw new Error(`pixelmill ingest did not upload every entry: ${JSON.stringify(source)}`);
      }
      wall.push(seconds);
      own.push(report.seconds);
      peakRss.push(report.peakRssBytes);
      process.stderr.write(
        `round ${round}: plain copy ${plain.at(-1)?.toFixed(1)} s, pixelmill ingest ${seconds.toFixed(1)} s (its own ${report.seconds.toFixed(1)} s)\n`,
      );
    }

    const medians = { plain: median(plain), wall: median(wall), own: median(own) };
    const row = (name: string, seconds: number, rss?: number): Row => ({
      name,
      values: {
        files,
        MB: (bytes / 1e6).toFixed(0),
        seconds: seconds.toFixed(1),
        'MB/s': (bytes / 1e6 / seconds).toFixed(1),
        'files/s': (files / seconds).toFixed(0),
        'vs plain copy': (medians.plain / seconds).toFixed(2),
        'peak RSS MB': rss === undefined ? '' : (rss / 1e6).toFixed(0),
      },
    });
    const rss = median(peakRss);
    const rows = [
      row(`plain copy (PutObject × ${CONCURRENCY} at once)`, medians.plain),
      row('pixelmill ingest of the zip (wall, with process start)', medians.wall, rss),
      row('pixelmill ingest of the zip (its own `seconds`)', medians.own, rss),
    ];
    const markdown =
      table(
        `pixelmill ingest vs a plain copy: a ${(zipBytes / 1e6).toFixed(0)} MB deflated zip of ${files} JPEGs, concurrency ${CONCURRENCY}, local cloud, median of ${rounds}`,
        rows,
      ) +
      `\nIngest / plain copy: ${(medians.plain / medians.wall).toFixed(2)} (MB/s and files/s alike: same files, same bytes). ` +
      'On top of the PUTs the CLI pays its process start and joining the cloud (wall row only), ' +
      'reading and inflating the zip with a CRC-32 check per entry, an MD5 of each body and a HEAD ' +
      'before each PUT (`unlessSame`: a repeated ingest raises no second event), checkpoint writes.\n' +
      'Every object raises an S3 event into the work queue on both sides; no worker runs. The cloud ' +
      "runs in the bench's process, so the plain copy's SDK client shares its thread; the CLI's has its own.\n";
    return {
      markdown,
      data: {
        files,
        bytes,
        zipBytes,
        method: 'deflate (zlib level 6)',
        concurrency: CONCURRENCY,
        rounds,
        seconds: { plain, ingestWall: wall, ingestOwn: own },
        ingestPeakRssBytes: peakRss,
        median: medians,
      },
    };
  } finally {
    clients.destroy();
    await cloud.stop();
  }
}
