/** Input directories of generated photos, and the usual layout of an end-to-end test's directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { photoLike } from '../fixtures/catalogue.ts';
import { tempStateDir } from './temp.ts';

export interface PhotoBatch {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  /** The first photo's seed; each next one's is one more. @default 1 */
  readonly seed?: number;
  /** The i-th photo's file name. @default p0.jpg, p1.jpg, … */
  readonly name?: (i: number) => string;
}

/** Writes `count` photo-like JPEGs into `dir` (made if missing) and returns `dir`. */
export async function writePhotos(dir: string, batch: PhotoBatch): Promise<string> {
  const { count, width, height, seed = 1, name = (i) => `p${i}.jpg` } = batch;
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++)
    await writeFile(join(dir, name(i)), await photoLike(width, height, seed + i));
  return dir;
}

/** A test's temporary directory, the --state path in it, and `input` in it holding the photos. */
export async function photoRunDir(
  t: { after: (fn: () => Promise<void>) => void },
  prefix: string,
  input: string,
  batch: PhotoBatch,
): Promise<{ dir: string; state: string; input: string }> {
  const { dir, state } = await tempStateDir(t, prefix);
  return { dir, state, input: await writePhotos(join(dir, input), batch) };
}

/** A test's temporary directory, the --state path in it, and an empty directory `input` in it. */
export async function inputRunDir(
  t: { after: (fn: () => Promise<void>) => void },
  prefix: string,
  input: string,
): Promise<{ dir: string; state: string; input: string }> {
  const { dir, state } = await tempStateDir(t, prefix);
  const path = join(dir, input);
  await mkdir(path);
  return { dir, state, input: path };
}
