/**
 * Area-average resampling in plain JavaScript, for the analysis only (placeholder, dominant
 * colour, perceptual hash), never for renditions: each output pixel is the mean of the source area
 * it covers, weighted by coverage, in both directions, with colour premultiplied by alpha (as
 * libvips resizes), so what transparent pixels store does not bleed into their neighbours. At the analysis's sizes (≤ 100 × 100 out
 * of a ~320-px rendition) this costs a fraction of a millisecond, where each extra sharp call
 * costs 2–4 ms of fixed overhead.
 */

export interface Pixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: number;
}

/** For each output index: the source indices it covers and their weights (summing to 1). */
function weights(
  from: number,
  to: number,
): { index: Int32Array; weight: Float32Array; start: Int32Array } {
  const scale = from / to;
  const start = new Int32Array(to + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < to; o++) {
    start[o] = index.length;
    const left = o * scale;
    const right = left + scale;
    for (let s = Math.floor(left); s < Math.min(from, Math.ceil(right)); s++) {
      const covered = Math.min(right, s + 1) - Math.max(left, s);
      if (covered <= 0) continue;
      index.push(s);
      weight.push(covered / scale);
    }
  }
  start[to] = index.length;
  return { index: Int32Array.from(index), weight: Float32Array.from(weight), start };
}

/** Resamples to `width` × `height` RGBA (4 channels, 8-bit). */
export function resampleRgba(source: Pixels, width: number, height: number): Pixels {
  const { width: sw, height: sh, channels: c, data: d } = source;
  const wx = weights(sw, width);
  const wy = weights(sh, height);
  const grey = c < 3;
  const alphaAt = c === 4 ? 3 : c === 2 ? 1 : -1;
  // Horizontal pass: sh rows × width columns, premultiplied RGBA floats.
  const rows = new Float32Array(sh * width * 4);
  for (let y = 0; y < sh; y++) {
    const line = y * sw * c;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      const end = wx.start[x + 1] ?? 0;
      for (let k = wx.start[x] ?? 0; k < end; k++) {
        const o = line + (wx.index[k] ?? 0) * c;
        const alpha = (alphaAt < 0 ? 255 : (d[o + alphaAt] ?? 0)) * (wx.weight[k] ?? 0);
        const v0 = d[o] ?? 0;
        r += v0 * alpha;
        g += (grey ? v0 : (d[o + 1] ?? 0)) * alpha;
        b += (grey ? v0 : (d[o + 2] ?? 0)) * alpha;
        a += alpha;
      }
      const o = (y * width + x) * 4;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
      rows[o + 3] = a;
    }
  }
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const end = wy.start[y + 1] ?? 0;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = wy.start[y] ?? 0; k < end; k++) {
        const row = ((wy.index[k] ?? 0) * width + x) * 4;
        const w = wy.weight[k] ?? 0;
        r += (rows[row] ?? 0) * w;
        g += (rows[row + 1] ?? 0) * w;
        b += (rows[row + 2] ?? 0) * w;
        a += (rows[row + 3] ?? 0) * w;
      }
      const o = (y * width + x) * 4;
      if (a > 0) {
        out[o] = clamp(r / a);
        out[o + 1] = clamp(g / a);
        out[o + 2] = clamp(b / a);
      }
      out[o + 3] = clamp(a);
    }
  }
  return { data: out, width, height, channels: 4 };
}

const clamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** The largest size inside `box` × `box` with the aspect ratio kept, never larger than the source. */
export function insideBox(
  width: number,
  height: number,
  box: number,
): { width: number; height: number } {
  const scale = Math.min(1, box / width, box / height);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/**
 * Grey of RGBA pixels flattened onto mid grey (so transparency reads the same whatever colour
 * transparent pixels store), Rec. 601 luma, as 0–255 values.
 */
export function greyOnMidGrey(rgba: Pixels): Uint8Array {
  const n = rgba.width * rgba.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const a = (rgba.data[o + 3] ?? 255) / 255;
    const flat = (v: number) => v * a + 128 * (1 - a);
    out[i] = Math.round(
      0.299 * flat(rgba.data[o] ?? 0) +
        0.587 * flat(rgba.data[o + 1] ?? 0) +
        0.114 * flat(rgba.data[o + 2] ?? 0),
    );
  }
  return out;
}
