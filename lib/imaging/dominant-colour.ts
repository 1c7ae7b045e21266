/**
 * The dominant colour of an image: the most populated cell of a 16×16×16 RGB histogram, as the
 * mean of the pixels in it (the colour actually seen, not the cell's centre). Transparent pixels
 * do not count: a logo on a transparent background is the logo's colour, not the black that
 * transparent pixels usually store (which sharp's `stats().dominant` counts).
 */
const hex = (n: number) => Math.round(n).toString(16).padStart(2, '0');

/**
 * From RGBA pixels; undefined when no pixel is at least half opaque. `countTransparent`: every
 * pixel counts, transparent or not (for an image with nothing opaque: the colour it stores).
 */
export function dominantColour(
  rgba: Uint8Array,
  options: { countTransparent?: boolean } = {},
): string | undefined {
  const count = new Uint32Array(4096);
  const sums = new Float64Array(4096 * 3);
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    if (!options.countTransparent && (rgba[i + 3] ?? 0) < 128) continue;
    const r = rgba[i] ?? 0;
    const g = rgba[i + 1] ?? 0;
    const b = rgba[i + 2] ?? 0;
    const cell = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
    count[cell] = (count[cell] ?? 0) + 1;
    sums[cell * 3] = (sums[cell * 3] ?? 0) + r;
    sums[cell * 3 + 1] = (sums[cell * 3 + 1] ?? 0) + g;
    sums[cell * 3 + 2] = (sums[cell * 3 + 2] ?? 0) + b;
  }
  let best = -1;
  let most = 0;
  for (let cell = 0; cell < count.length; cell++) {
    if ((count[cell] ?? 0) > most) {
      most = count[cell] ?? 0;
      best = cell;
    }
  }
  if (best < 0) return undefined;
  const mean = (c: number) => (sums[best * 3 + c] ?? 0) / most;
  return `#${hex(mean(0))}${hex(mean(1))}${hex(mean(2))}`;
}
