/**
 * Perceptual image comparison: both images reduced to a small greyscale thumbnail, compared by
 * mean absolute difference (0 = identical, 255 = inverted). Encoders, resampling and colour
 * conversion move pixels by a few levels; a wrong rotation or a mirror moves them by tens.
 */
import sharp from 'sharp';

const SIZE = 48;

async function thumbnail(image: Buffer | string): Promise<Buffer> {
  return sharp(image).autoOrient().resize(SIZE, SIZE, { fit: 'fill' }).greyscale().raw().toBuffer();
}

export async function meanAbsDiff(a: Buffer | string, b: Buffer | string): Promise<number> {
  const [ta, tb] = await Promise.all([thumbnail(a), thumbnail(b)]);
  let sum = 0;
  for (let i = 0; i < ta.length; i++) sum += Math.abs((ta[i] ?? 0) - (tb[i] ?? 0));
  return sum / ta.length;
}
