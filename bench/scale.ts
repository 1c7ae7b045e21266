/**
 * `npm run bench -- scale`: the operator commands against a table and bucket of 10,000, 100,000
 * and 1,000,000 images (PIXELMILL_BENCH_SCALE_MAX caps the largest), each measured as the real CLI
 * (`status --json`, `report --json`, `audit --json`) on one state directory seeded up to each size
 * in turn, with a baseline of a few rows first. The local cloud runs in a process of its own
 * (`pixelmill stack up`), as on AWS the services are not in the audit's memory: each command's
 * time and peak RSS (procfs, every 100 ms) are its own, the cloud's peak is printed apart. After
 * each seeding, `status --recount` (untimed) brings the table's counts up to the rows written
 * behind the pipeline's back. Figures are printed, not asserted.
 * What issue 13 asks: status at 100,000 within 3× of a few rows; audit under 300 MB at 1,000,000.
 *
 * Seeding is what a pipeline leaves, written the cheapest real way: rows through BatchWriteItem
 * (the local DynamoDB, 25 to a call, many calls at once); objects straight into the local S3's
 * own index (infra/local/s3-object-index.ts, one transaction per batch, empty bodies) with the
 * cloud stopped, where a PUT through the SDK costs a request each (10^6 uploads + 6×10^6
 * renditions would take hours here). Every 100th upload has no row (a lost event, a `no-row` gap)
 * and every 50th is REJECTED; the rest are DONE with their six renditions.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImageRow, imageRowKey } from '../events/image-row.ts';
import { startLocalCloud } from '../infra/local/cloud.ts';
import { S3ObjectIndex } from '../infra/local/s3-object-index.ts';
import { statePaths } from '../infra/local/state-dir.ts';
import { createTopology } from '../infra/topology.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { configHash, defaultConfig } from '../lib/config/parse.ts';
import { doneRow, putRows, renditionsOf } from '../test/helpers/table-rows.ts';
import { rssMb } from './lib/proc-rss.ts';
import { type Row, table } from './lib/report.ts';

const LAUNCHER = fileURLToPath(new URL('../bin/pixelmill', import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL('../.pixelmill/bench/', import.meta.url));
const SIZES = [10_000, 100_000, 1_000_000] as const;
/** The baseline: status on "a few rows". */
const FEW = 10;
/** Rows built and written per step of the seeding (bounded memory). */
const SEED_CHUNK = 5_000;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The i-th upload: keys spread over first characters as hashed or generated names are. */
function uploadKey(prefix: string, i: number): string {
  return `${prefix}${BASE62[i % 62]}${String(i).padStart(7, '0')}.jpg`;
}

function etagOf(key: string): string {
  return createHash('md5').update(key).digest('hex');
}

function rowOf(bucket: string, key: string, hash: string, i: number): ImageRow | undefined {
  if (i % 100 === 99) return undefined;
  const etag = etagOf(key);
  const done = doneRow(bucket, key, hash);
  const row: ImageRow = {
    ...done,
    ...imageRowKey({ bucket, key, version: etag, configHash: hash }),
    version: etag,
    etag,
  };
  if (i % 50 !== 49) return row;
  const { renditions: _r, analysis: _a, ...rest } = row;
  return { ...rest, status: 'REJECTED', reason: 'corrupt', message: `cannot read ${key}` };
}

/** Brings the state from `from` to `to` images: rows through the local DynamoDB, then objects. */
export async function seed(stateDir: string, from: number, to: number): Promise<number> {
  const started = performance.now();
  const topology = createTopology();
  const hash = configHash(defaultConfig());
  const cloud = await startLocalCloud({ stateDir, topology });
  const clients = createAwsClients(cloud.target);
  try {
    for (let start = from; start < to; start += SEED_CHUNK) {
      const rows: ImageRow[] = [];
      for (let i = start; i < Math.min(to, start + SEED_CHUNK); i++) {
        const row = rowOf(topology.uploadsBucket, uploadKey(topology.uploadsPrefix, i), hash, i);
        if (row) rows.push(row);
      }
      await putRows(clients.dynamo, topology.table, rows, 16);
    }
  } finally {
    clients.destroy();
    await cloud.stop();
  }
  const index = new S3ObjectIndex(statePaths(stateDir).s3);
  try {
    const lastModified = new Date(Date.now() - 86_400_000);
    const object = (key: string, etag: string) => ({
      key,
      body: Buffer.alloc(0),
      contentType: 'image/jpeg',
      contentLength: 0,
      etag: `"${etag}"`,
      lastModified,
      metadata: {},
    });
    for (let start = from; start < to; start += SEED_CHUNK) {
      index.batch(() => {
        for (let i = start; i < Math.min(to, start + SEED_CHUNK); i++) {
          const key = uploadKey(topology.uploadsPrefix, i);
          index.put(topology.uploadsBucket, object(key, etagOf(key)));
          if (i % 100 === 99 || i % 50 === 49) continue;
          for (const r of renditionsOf(key))
            index.put(topology.renditionsBucket, object(r.key, etagOf(r.key)));
        }
      });
    }
  } finally {
    index.close();
  }
  return (performance.now() - started) / 1000;
}

/** The local cloud in a process of its own (`pixelmill stack up`), as an operator runs it. */
interface CloudProcess {
  readonly pid: number;
  /** Its peak RSS so far (procfs, every 100 ms). */
  peakMb(): number;
  stop(): Promise<void>;
}

async function startCloud(stateDir: string): Promise<CloudProcess> {
  const child = spawn(LAUNCHER, ['stack', 'up', '--state', stateDir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-3000);
  });
  // Its first stdout line (the endpoint and queues, as JSON) says it answers.
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`stack up exited ${code}: ${stderr}`)));
  });
  const pid = child.pid ?? 0;
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  return {
    pid,
    peakMb: () => peak,
    stop: async () => {
      clearInterval(timer);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * Rows written behind the pipeline's back are in no count: the table's counts (status, report)
 * are rebuilt from the rows by the real command, untimed.
 */
async function recount(stateDir: string): Promise<void> {
  const r = await measure(stateDir, 0, 'status', ['--recount', '--json']);
  if (r.exitCode !== 0 && r.exitCode !== 1)
    throw new Error(`status --recount exited ${r.exitCode}`);
}

interface Measured {
  readonly command: string;
  readonly images: number;
  readonly seconds: number;
  readonly peakMb: number;
  readonly exitCode: number | null;
  readonly summary: string;
}

async function measure(
  stateDir: string,
  images: number,
  command: string,
  args: readonly string[],
): Promise<Measured> {
  const started = performance.now();
  const child = spawn(LAUNCHER, [command, ...args, '--state', stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-20_000);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-3000);
  });
  let peakMb = 0;
  const timer = setInterval(() => {
    if (child.pid !== undefined) peakMb = Math.max(peakMb, rssMb(child.pid));
  }, 100);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  // audit exits 1 when it finds gaps (the seeded lost events): expected here.
  if (exitCode !== 0 && !(command === 'audit' && exitCode === 1))
    throw new Error(`pixelmill ${command} on ${images} images exited ${exitCode}: ${stderr}`);
  return { command, images, seconds, peakMb, exitCode, summary: summarise(command, stdout) };
}

/** A few figures from the command's JSON, to show it read everything. */
function summarise(command: string, stdout: string): string {
  try {
    const json = JSON.parse(stdout) as Record<string, unknown>;
    if (command === 'audit')
      return `objects ${json.objects}, done ${json.done}, rejected ${json.rejected}, gaps ${json.gapCount}`;
    if (command === 'report') return `images ${json.images}, ${json.bytes} bytes`;
    const counts = json.counts ?? json.images ?? json.table;
    return counts ? JSON.stringify(counts).slice(0, 120) : '';
  } catch {
    return stdout.slice(0, 120);
  }
}

export async function benchScale(max: number): Promise<{ markdown: string; data: unknown }> {
  mkdirSync(BENCH_ROOT, { recursive: true });
  const dir = mkdtempSync(join(BENCH_ROOT, 'scale-'));
  const stateDir = join(dir, 'state');
  try {
    const sizes = [FEW, ...SIZES.filter((n) => n <= max)];
    const results: Measured[] = [];
    const seeding: { images: number; seconds: number }[] = [];
    const cloudPeaks: { images: number; peakMb: number }[] = [];
    let seeded = 0;
    for (const size of sizes) {
      const seconds = await seed(stateDir, seeded, size);
      seeded = size;
      seeding.push({ images: size, seconds });
      process.stderr.write(`scale: seeded ${size} images in ${seconds.toFixed(1)} s\n`);
      const cloud = await startCloud(stateDir);
      try {
        await recount(stateDir);
        results.push(await measure(stateDir, size, 'status', ['--json']));
        if (size !== FEW) {
          results.push(
            await measure(stateDir, size, 'report', [
              '--json',
              '--out',
              join(dir, `report-${size}.html`),
            ]),
          );
          results.push(await measure(stateDir, size, 'audit', ['--json', '--grace', '0']));
        }
        cloudPeaks.push({ images: size, peakMb: cloud.peakMb() });
      } finally {
        await cloud.stop();
      }
      process.stderr.write(`scale: ${size} images measured\n`);
    }
    const rows: Row[] = results.map((r) => ({
      name: `${r.command} · ${r.images} images`,
      values: {
        seconds: r.seconds.toFixed(1),
        'peak RSS MiB': r.peakMb.toFixed(0),
        read: r.summary,
      },
    }));
    const status = (n: number) => results.find((r) => r.command === 'status' && r.images === n);
    const few = status(FEW);
    const hundredK = status(100_000);
    const auditTop = results.filter((r) => r.command === 'audit').at(-1);
    const markdown =
      table('Operator commands by table size (local cloud, one state seeded up)', rows) +
      `\nThe local cloud (\`stack up\`, its own process) peaked at ${cloudPeaks.map((c) => `${c.peakMb.toFixed(0)} MiB at ${c.images}`).join(', ')}.` +
      `\nSeeding: ${seeding.map((s) => `${s.images} in ${s.seconds.toFixed(0)} s`).join(', ')}.` +
      (few && hundredK
        ? ` status at 100,000 / at ${FEW}: ${(hundredK.seconds / few.seconds).toFixed(2)}× (target ≤ 3).`
        : '') +
      (auditTop
        ? ` audit at ${auditTop.images}: ${auditTop.peakMb.toFixed(0)} MiB peak (target < 300 at 1,000,000).`
        : '') +
      '\n';
    return { markdown, data: { results, seeding, cloudPeaks } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
