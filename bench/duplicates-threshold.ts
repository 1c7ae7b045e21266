/**
 * What distance separates a copy from another picture, measured on the corpus photos: each
 * photo's perceptual hash as the worker computes it (lib/imaging/phash.ts over the area-averaged
 * 32 × 32 grey of a small rendition, as lib/imaging/analyse.ts does), against copies made the
 * ways archives make them (resized and recompressed, made smaller still, re-encoded as WebP,
 * brightened, cropped by a few percent), and against every other photo. Prints the distances of
 * both kinds: the default `--distance` must be above the copies' and below the other photos'.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { greyOnMidGrey, insideBox, resampleRgba } from '../lib/imaging/area-resample.ts';
import { hammingDistance, perceptualHash } from '../lib/imaging/phash.ts';
import { type Row, table } from './lib/report.ts';

/** The hash the worker records for these bytes (its smallest rendition: 320 px wide or less). */
async function workerHash(input: Buffer): Promise<string> {
  const { data, info } = await sharp(input, { failOn: 'none' })
    .autoOrient()
    .resize(320, 320, { fit: 'inside', withoutEnlargement: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const source = { data, width: info.width, height: info.height, channels: info.channels };
  const box = insideBox(source.width, source.height, 100);
  const thumb = resampleRgba(source, box.width, box.height);
  return perceptualHash(greyOnMidGrey(resampleRgba(thumb, 32, 32)));
}

/** Copies as archives hold them: each a function of the original's bytes. */
const copies: Record<string, (input: Buffer) => Promise<Buffer>> = {
  'resized 50% + JPEG q70': async (input) => {
    const { width = 0 } = await sharp(input).autoOrient().metadata();
    return sharp(input)
      .autoOrient()
      .resize(Math.round(width / 2))
      .jpeg({ quality: 70 })
      .toBuffer();
  },
  'resized to 640 px + JPEG q40': (input) =>
    sharp(input).autoOrient().resize(640).jpeg({ quality: 40 }).toBuffer(),
  'WebP q60 at 1024 px': (input) =>
    sharp(input).autoOrient().resize(1024).webp({ quality: 60 }).toBuffer(),
  'brightened 10%': (input) =>
    sharp(input).autoOrient().modulate({ brightness: 1.1 }).jpeg({ quality: 85 }).toBuffer(),
  'cropped 3% each side': async (input) => {
    const { width = 0, height = 0 } = await sharp(input)
      .autoOrient()
      .toBuffer({ resolveWithObject: true })
      .then((r) => r.info);
    const dx = Math.round(width * 0.03);
    const dy = Math.round(height * 0.03);
    return sharp(input)
      .autoOrient()
      .extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy })
      .jpeg({ quality: 85 })
      .toBuffer();
  },
};

function quantiles(values: number[]): Record<string, number> {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { n: s.length, min: s[0] ?? 0, median: at(0.5), p90: at(0.9), max: s.at(-1) ?? 0 };
}

export async function benchDuplicateThreshold(photosDir: string) {
  const names = (await readdir(photosDir)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort();
  const originals = new Map<string, string>();
  const rows: Row[] = [];
  const copyDistances: Record<string, number[]> = {};
  for (const name of names) {
    const input = await readFile(join(photosDir, name));
    const hash = await workerHash(input);
    originals.set(name, hash);
    for (const [kind, make] of Object.entries(copies)) {
      const d = hammingDistance(hash, await workerHash(await make(input)));
      const seen = copyDistances[kind] ?? [];
      seen.push(d);
      copyDistances[kind] = seen;
    }
  }
  for (const [kind, ds] of Object.entries(copyDistances))
    rows.push({ name: `copy: ${kind}`, values: quantiles(ds) });
  const hashes = [...originals.entries()];
  const pairs: { pair: string; d: number }[] = [];
  for (let a = 0; a < hashes.length; a++)
    for (let b = a + 1; b < hashes.length; b++)
      pairs.push({
        pair: `${hashes[a]?.[0]} · ${hashes[b]?.[0]}`,
        d: hammingDistance(hashes[a]?.[1] ?? '', hashes[b]?.[1] ?? ''),
      });
  const others = pairs.map((p) => p.d);
  rows.push({ name: 'different photos (all pairs)', values: quantiles(others) });
  // The closest pairs by name: a corpus may hold the same picture twice (d24 is n06 upscaled).
  for (const p of [...pairs].sort((x, y) => x.d - y.d).slice(0, 3))
    rows.push({ name: `closest: ${p.pair}`, values: { min: p.d } });
  return {
    markdown: table(
      `Perceptual-hash distance: copies vs different photos (${names.length} corpus photos)`,
      rows,
    ),
    data: { copyDistances, pairs },
  };
}
