/**
 * The local cloud's state directory (default `.pixelmill/`): emulator data that survives
 * restarts, and the files through which pixelmill processes find the cloud that runs on it.
 *
 *   <state>/s3/          objects, under hashed names (hashed-s3-persistence.ts)
 *   <state>/sqs/         queues and messages (fauxqs SQLite)
 *   <state>/dynamodb/    the metadata table (dynalite LevelDB)
 *   <state>/cloud.json   { pid, endpoint, region, port, startedAt, token } of the cloud started
 *                        last; kept when it stops, so the next one takes the same port
 *   <state>/cloud.lock   held (an exclusive SQLite lock) by the process running the cloud
 *   <state>/config.json  the rendition config the last run or worker used (cli/state-config.ts)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const DEFAULT_STATE_DIR = '.pixelmill';

export interface StatePaths {
  readonly root: string;
  readonly s3: string;
  readonly sqs: string;
  readonly dynamodb: string;
  readonly cloudFile: string;
  readonly lockFile: string;
  readonly configFile: string;
}

export function statePaths(stateDir: string): StatePaths {
  const root = resolve(stateDir);
  return {
    root,
    s3: join(root, 's3'),
    sqs: join(root, 'sqs'),
    dynamodb: join(root, 'dynamodb'),
    cloudFile: join(root, 'cloud.json'),
    lockFile: join(root, 'cloud.lock'),
    configFile: join(root, 'config.json'),
  };
}

export function ensureStateDirs(paths: StatePaths): void {
  for (const dir of [paths.root, paths.s3, paths.sqs, paths.dynamodb]) {
    mkdirSync(dir, { recursive: true });
  }
}

/** Whether a local cloud has ever run on this directory (its queues' or table's data is there). */
export function isStateDir(paths: StatePaths): boolean {
  return existsSync(paths.sqs) || existsSync(paths.dynamodb);
}

const cloudFileSchema = z.object({
  pid: z.int(),
  endpoint: z.url(),
  region: z.string(),
  port: z.int(),
  startedAt: z.string(),
  /** Answered by the cloud's identity route (cloud-identity.ts): proof that it is this cloud. */
  token: z.string().min(1),
});

export type CloudFile = z.infer<typeof cloudFileSchema>;

export function readCloudFile(paths: StatePaths): CloudFile | undefined {
  try {
    return cloudFileSchema.parse(JSON.parse(readFileSync(paths.cloudFile, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Written whole, then renamed: a reader never sees half a file. */
export function writeCloudFile(paths: StatePaths, value: CloudFile): void {
  const partial = `${paths.cloudFile}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(partial, paths.cloudFile);
}
