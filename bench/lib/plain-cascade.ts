/**
 * The strongest plain alternative to `pixelmill run` a user could write with sharp: decode once
 * (shrink-on-load to the largest width), then cascade — each smaller width resized from the one
 * before — encoding JPEG and WebP at each. The benchmark starts one of these per core, each
 * taking every Nth file of the list. usage: plain-cascade.ts OUT_DIR LIST_FILE INDEX COUNT
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';

const [out = '', list = '', index = '0', count = '1'] = process.argv.slice(2);
const files = readFileSync(list, 'utf8')
  .split('\n')
  .filter((line, i) => line !== '' && i % Number(count) === Number(index));
sharp.concurrency(1);
for (const file of files) {
  const stem = join(out, basename(file));
  let image = await sharp(file, { failOn: 'warning' })
    .autoOrient()
    .resize({ width: 1600, withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  for (const width of [1600, 800, 320]) {
    if (width < image.info.width) {
      image = await sharp(image.data, { raw: image.info })
        .resize({ width })
        .raw()
        .toBuffer({ resolveWithObject: true });
    }
    const pixels = () => sharp(image.data, { raw: image.info });
    await writeFile(`${stem}-${width}.jpg`, await pixels().jpeg({ quality: 80 }).toBuffer());
    await writeFile(`${stem}-${width}.webp`, await pixels().webp({ quality: 80 }).toBuffer());
  }
}
