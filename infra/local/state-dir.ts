/**
 * The local cloud's state directory (default `.pixelmill/`): emulator data that survives
 * restarts, and `cloud.json`, which tells other pixelmill processes where a running cloud listens.
 *
 *   <state>/s3/          objects, under hashed names (hashed-s3-persistence.ts)
 *   <state>/sqs/         queues and messages (fauxqs SQLite)
 *   <state>/dynamodb/    the metadata table (dynalite LevelDB)
 *   <state>/cloud.json   { pid, endpoint, region, startedAt } while a cloud runs
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const DEFAULT_STATE_DIR = '.pixelmill';

export interface StatePaths {
  readonly root: string;
  readonly s3: string;
  readonly sqs: string;
  readonly dynamodb: string;
  readonly cloudFile: string;
}

export function statePaths(stateDir: string): StatePaths {
  const root = resolve(stateDir);
  return {
    root,
    s3: join(root, 's3'),
    sqs: join(root, 'sqs'),
    dynamodb: join(root, 'dynamodb'),
    cloudFile: join(root, 'cloud.json'),
  };
}

export function ensureStateDirs(paths: StatePaths): void {
  for (const dir of [paths.root, paths.s3, paths.sqs, paths.dynamodb]) {
    mkdirSync(dir, { recursive: true });
  }
}

const cloudFileSchema = z.object({
  pid: z.int(),
  endpoint: z.url(),
  region: z.string(),
  port: z.int(),
  startedAt: z.string(),
});

export type CloudFile = z.infer<typeof cloudFileSchema>;

export function readCloudFile(paths: StatePaths): CloudFile | undefined {
  try {
    return cloudFileSchema.parse(JSON.parse(readFileSync(paths.cloudFile, 'utf8')));
  } catch {
    return undefined;
  }
}

export function writeCloudFile(paths: StatePaths, value: CloudFile): void {
  writeFileSync(paths.cloudFile, `${JSON.stringify(value, null, 2)}\n`);
}

export function removeCloudFile(paths: StatePaths): void {
  rmSync(paths.cloudFile, { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
