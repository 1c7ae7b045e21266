/**
 * Tiny, distinct JPEGs for the chaos scenarios: 64×48 so hundreds process in seconds, each with
 * its index stamped in as black and white blocks, so no two share bytes (an ETag collision would
 * merge two images into one row and hide a lost one).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { expectedEtag } from '../../lib/aws/etag.ts';
import { photoPixels } from '../fixtures/catalogue.ts';

const WIDTH = 64;
const HEIGHT = 48;
/** 16 bits of index, one 4×6 block each, along the top rows. */
const BITS = 16;
const BLOCK = { width: 4, height: 6 } as const;

export interface ChaosImage {
  readonly name: string;
  readonly body: Buffer;
  readonly etag: string;
}

/** Image number `index` (0 ≤ index < 65536); `variant` changes the picture behind the stamp. */
export async function chaosImage(index: number, variant = 0): Promise<ChaosImage> {
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** BITS) {
    throw new Error(
      `Expected integer between 0 and ${2 ** BITS - 1} for index but received ${index}`,
    );
  }
  const pixels = photoPixels(WIDTH, HEIGHT, 1 + (variant % 5));
  for (let bit = 0; bit < BITS; bit++) {
    const value = (index >> bit) & 1 ? 255 : 0;
    for (let y = 0; y < BLOCK.height; y++) {
      for (let x = bit * BLOCK.width; x < (bit + 1) * BLOCK.width; x++) {
        pixels.fill(value, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
      }
    }
  }
  const body = await sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  return { name: `img-${String(index).padStart(5, '0')}.jpg`, body, etag: expectedEtag(body) };
}

/** `count` distinct images, numbered from `first`. */
export async function chaosImages(count: number, first = 0, variant = 0): Promise<ChaosImage[]> {
  const images = await Promise.all(
    Array.from({ length: count }, (_, i) => chaosImage(first + i, variant)),
  );
  if (new Set(images.map((i) => i.etag)).size !== images.length) {
    throw new Error('two chaos images have the same bytes; the stamp no longer separates them');
  }
  return images;
}

/** Writes images into a directory (for `pixelmill ingest`). */
export async function writeImages(dir: string, images: readonly ChaosImage[]): Promise<void> {
  await Promise.all(images.map((i) => writeFile(join(dir, i.name), i.body)));
}
