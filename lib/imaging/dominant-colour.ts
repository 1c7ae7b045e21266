/**
 * The dominant colour of an image: the colour around which most of its pixels lie. A 16×16×16
 * RGB histogram is summed over each cell's 3×3×3 neighbourhood (a window 48 levels wide on each
 * channel, centred on the cell), and the fullest window's pixels are averaged: the colour actually
 * seen, not a cell's centre.
 *
 * Why a window and not the fullest single cell: a photograph's colours are spread (a lit backdrop
 * is a gradient, grain and JPEG noise scatter the rest), so the cells of its main colour each hold
 * a little of it, while a flat area — a white border, clipped highlights, a bright sky — falls in
 * one or two cells and outnumbers any of them. Taking the fullest cell called a teal portrait with
 * a thin white border `#fafafa`, and a green jungle with a patch of sky white. A window the size of
 * a colour's natural spread counts a gradient as one colour; a flat area still wins when it really
 * covers most of the image (a product on white).
 *
 * Transparent pixels do not count: a logo on a transparent background is the logo's colour, not
 * the black that transparent pixels usually store (which sharp's `stats().dominant` counts).
 */
const hex = (n: number) => Math.round(n).toString(16).padStart(2, '0');

const LEVELS = 16;
const CELLS = LEVELS * LEVELS * LEVELS;
/** Cells on each side of a cell that its window takes in (1: 3 cells, 48 of 256 levels). */
const RADIUS = 1;
const cellOf = (r: number, g: number, b: number) => (r << 8) | (g << 4) | b;

/** Sums `from` (a LEVELS³ grid) over ±RADIUS cells along the axis of `stride`, into `to`. */
function boxAlong(from: Uint32Array, to: Uint32Array, stride: number): void {
  // The two other axes' strides: every line along this axis starts at one of their sums.
  const [p, q] = [1, LEVELS, LEVELS * LEVELS].filter((s) => s !== stride) as [number, number];
  for (let i = 0; i < LEVELS; i++) {
    for (let j = 0; j < LEVELS; j++) {
      const base = i * p + j * q;
      for (let k = 0; k < LEVELS; k++) {
        let sum = 0;
        const end = Math.min(LEVELS - 1, k + RADIUS);
        for (let m = Math.max(0, k - RADIUS); m <= end; m++) sum += from[base + m * stride] ?? 0;
        to[base + k * stride] = sum;
      }
    }
  }
}

/**
 * From RGBA pixels; undefined when no pixel is at least half opaque. `countTransparent`: every
 * pixel counts, transparent or not (for an image with nothing opaque: the colour it stores).
 */
export function dominantColour(
  rgba: Uint8Array,
  options: { countTransparent?: boolean } = {},
): string | undefined {
  const count = new Uint32Array(CELLS);
  const sums = new Float64Array(CELLS * 3);
  let any = false;
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    if (!options.countTransparent && (rgba[i + 3] ?? 0) < 128) continue;
    const r = rgba[i] ?? 0;
    const g = rgba[i + 1] ?? 0;
    const b = rgba[i + 2] ?? 0;
    const cell = cellOf(r >> 4, g >> 4, b >> 4);
    count[cell] = (count[cell] ?? 0) + 1;
    sums[cell * 3] = (sums[cell * 3] ?? 0) + r;
    sums[cell * 3 + 1] = (sums[cell * 3 + 1] ?? 0) + g;
    sums[cell * 3 + 2] = (sums[cell * 3 + 2] ?? 0) + b;
    any = true;
  }
  if (!any) return undefined;
  // Each cell's window count: separable, one axis at a time.
  const a = new Uint32Array(CELLS);
  const windowed = new Uint32Array(CELLS);
  boxAlong(count, a, 1);
  boxAlong(a, windowed, LEVELS);
  boxAlong(windowed, a, LEVELS * LEVELS);
  let best = 0;
  for (let cell = 1; cell < CELLS; cell++) if ((a[cell] ?? 0) > (a[best] ?? 0)) best = cell;
  // The mean of the pixels in the fullest window.
  const [br, bg, bb] = [best >> 8, (best >> 4) & 15, best & 15];
  let n = 0;
  const mean = [0, 0, 0];
  for (let r = Math.max(0, br - RADIUS); r <= Math.min(LEVELS - 1, br + RADIUS); r++)
    for (let g = Math.max(0, bg - RADIUS); g <= Math.min(LEVELS - 1, bg + RADIUS); g++)
      for (let b = Math.max(0, bb - RADIUS); b <= Math.min(LEVELS - 1, bb + RADIUS); b++) {
        const cell = cellOf(r, g, b);
        n += count[cell] ?? 0;
        for (let c = 0; c < 3; c++) mean[c] = (mean[c] ?? 0) + (sums[cell * 3 + c] ?? 0);
      }
  return `#${mean.map((v) => hex(v / Math.max(1, n))).join('')}`;
}
