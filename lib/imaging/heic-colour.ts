/**
 * The ICC profile a HEIC's decoded RGB is in, for libvips to convert to sRGB (tagged-png.ts).
 * `colr` (ISO/IEC 23008-12 §6.5.5) states it as an ICC profile (iPhones write Display P3 this
 * way) or as `nclx` code points (ITU-T H.273 §8.1: colour primaries 1 = BT.709/sRGB, 2 =
 * unspecified, 12 = Display P3, i.e. SMPTE EG 432-1 with D65; transfer 13 = sRGB's curve).
 */
import sharp from 'sharp';
import type { HeicColour } from './heic-header.ts';

/** H.273 colour primaries code point of Display P3. */
const DISPLAY_P3 = 12;

let p3: Promise<Buffer> | undefined;

/** libvips' own Display P3 profile (built in, the one `withIccProfile('p3')` attaches). */
function displayP3Profile(): Promise<Buffer> {
  p3 ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#000000' } })
    .withIccProfile('p3')
    .png()
    .toBuffer()
    .then(async (png) => {
      const { icc } = await sharp(png).metadata();
      if (!icc) throw new Error('libvips attached no Display P3 profile');
      return icc;
    });
  return p3;
}

/**
 * The profile to convert from, or undefined when the pixels are sRGB already (BT.709 primaries,
 * unspecified, or no `colr`). Other `nclx` primaries (BT.2020, …) have no profile here: their
 * pixels are taken as sRGB (README, limits table).
 */
export async function heicSourceProfile(colour: HeicColour): Promise<Buffer | undefined> {
  if (colour.kind === 'icc') return colour.profile;
  if (colour.kind === 'nclx' && colour.primaries === DISPLAY_P3) return displayP3Profile();
  return undefined;
}
