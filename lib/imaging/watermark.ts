/**
 * Watermark overlays: text drawn with the bundled font (never a system font, so it looks the
 * same on a laptop and on Lambda) or an image, sized relative to each rendition, placed by
 * gravity with a margin, at an opacity. Overlays are cached per rendition size: a run of
 * thousands of images renders each size once.
 */
import { fileURLToPath } from 'node:url';
import sharp, { type OverlayOptions } from 'sharp';
import type { Gravity, Watermark } from '../../events/config/schema.ts';

/** DejaVu Sans Bold, shipped in lib/imaging/fonts (licence beside it). */
export const WATERMARK_FONT_FILE = fileURLToPath(
  new URL('./fonts/DejaVuSans-Bold.ttf', import.meta.url),
);
const WATERMARK_FONT = 'DejaVu Sans Bold';

function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Decodes a `data:` URI watermark image. */
export function dataUriBytes(uri: string): Buffer {
  const match = /^data:image\/[a-z+.-]+;base64,([A-Za-z0-9+/=\s]+)$/i.exec(uri);
  if (!match?.[1]) throw new Error('Expected a watermark image as a base64 data: URI');
  return Buffer.from(match[1], 'base64');
}

function position(
  gravity: Gravity,
  frame: { w: number; h: number },
  mark: { w: number; h: number },
  margin: number,
) {
  const x = gravity.includes('west')
    ? margin
    : gravity.includes('east')
      ? frame.w - mark.w - margin
      : (frame.w - mark.w) / 2;
  const y = gravity.includes('north')
    ? margin
    : gravity.includes('south')
      ? frame.h - mark.h - margin
      : (frame.h - mark.h) / 2;
  return { left: Math.max(0, Math.round(x)), top: Math.max(0, Math.round(y)) };
}

export class WatermarkRenderer {
  readonly #spec: Watermark;
  readonly #image: Buffer | undefined;
  readonly #cache = new Map<string, Promise<OverlayOptions>>();

  constructor(spec: Watermark) {
    this.#spec = spec;
    this.#image = spec.image ? dataUriBytes(spec.image) : undefined;
  }

  /** The overlay for a rendition of this size, or undefined when it is too small to carry one. */
  overlayFor(width: number, height: number): Promise<OverlayOptions> | undefined {
    if (width < this.#spec.minWidth) return undefined;
    const key = `${width}x${height}`;
    let overlay = this.#cache.get(key);
    if (!overlay) {
      if (this.#cache.size >= 64) this.#cache.clear();
      overlay = this.#render(width, height);
      this.#cache.set(key, overlay);
    }
    return overlay;
  }

  async #source(): Promise<Buffer> {
    if (this.#image) return this.#image;
    const text = `<span foreground="${this.#spec.colour}">${escapeMarkup(this.#spec.text ?? '')}</span>`;
    return sharp({
      text: { text, font: WATERMARK_FONT, fontfile: WATERMARK_FONT_FILE, rgba: true, dpi: 300 },
    })
      .png()
      .toBuffer();
  }

  async #render(width: number, height: number): Promise<OverlayOptions> {
    const spec = this.#spec;
    const margin = Math.round(spec.margin * Math.min(width, height));
    const maxW = Math.max(1, Math.min(Math.round(width * spec.scale), width - 2 * margin));
    const maxH = Math.max(1, height - 2 * margin);
    const { data, info } = await sharp(await this.#source())
      .ensureAlpha()
      .resize({ width: maxW, height: maxH, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: 4 as const };
    // Scale the overlay's alpha by the opacity: `dest-in` with a uniform alpha.
    const faded = await sharp(data, { raw })
      .composite([
        {
          input: Buffer.from([0, 0, 0, Math.round(spec.opacity * 255)]),
          raw: { width: 1, height: 1, channels: 4 },
          tile: true,
          blend: 'dest-in',
        },
      ])
      .raw()
      .toBuffer();
    const { left, top } = position(
      spec.gravity,
      { w: width, h: height },
      { w: info.width, h: info.height },
      margin,
    );
    return { input: faded, raw, left, top };
  }
}
