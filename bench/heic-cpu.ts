/**
 * CPU per 12 MP HEIC against a JPEG of the same picture, through pixelmill's engine with the
 * default presets (1600, 800, 320 px × JPEG + WebP), in this process, best of `rounds` after a
 * warm-up (the wasm module is instantiated once per pixel process, not per image). The JPEG is
 * decoded by libjpeg with shrink-on-load (DCT scaling to 1/2); the HEIC by libheif-js in
 * WebAssembly at full size, then resized: the ratio is what taking iPhone photos costs.
 * The HEIC is encoded by heif-enc (x265's default preset, as a phone's encoder makes a full
 * bitstream; cached after the first run, which takes about a minute). Skipped without heif-enc.
 */
import { defaultConfig } from '../lib/config/parse.ts';
import { renderImage } from '../lib/imaging/render.ts';
import { photoLike } from '../test/fixtures/catalogue.ts';
import { heifEnc, heifEncMissing } from '../test/fixtures/heic.ts';
import { type Row, table } from './lib/report.ts';

const WIDTH = 4032;
const HEIGHT = 3024;

async function cpuSeconds(task: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await task();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

export async function benchHeicCpu(rounds: number): Promise<{ markdown: string; data: unknown }> {
  const missing = heifEncMissing();
  if (missing) return { markdown: `HEIC CPU: skipped, ${missing}`, data: { skipped: missing } };
  const jpeg = await photoLike(WIDTH, HEIGHT, 12);
  const heic = heifEnc(jpeg, ['-q', '50', '-p', 'preset=medium']);
  const config = defaultConfig();
  await renderImage(heic, config); // warm-up: wasm instantiation, libvips' first operations
  const best = async (input: Buffer) => {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rounds; i++) {
      min = Math.min(min, await cpuSeconds(() => renderImage(input, config)));
    }
    return min;
  };
  const jpegCpu = await best(jpeg);
  const heicCpu = await best(heic);
  const rows: Row[] = [
    { name: 'JPEG', values: { bytes: jpeg.length, 'CPU s per image': jpegCpu.toFixed(2) } },
    {
      name: 'HEIC',
      values: {
        bytes: heic.length,
        'CPU s per image': heicCpu.toFixed(2),
        '× JPEG': (heicCpu / jpegCpu).toFixed(1),
      },
    },
  ];
  return {
    markdown: table(`CPU per ${WIDTH} × ${HEIGHT} image, default presets, best of ${rounds}`, rows),
    data: { width: WIDTH, height: HEIGHT, rounds, jpegCpu, heicCpu, ratio: heicCpu / jpegCpu },
  };
}
