/**
 * Decides how large the single decoded intermediate must be: the smallest size from which every
 * preset can still be made at full quality. Decoding once at that size (with the decoder's own
 * shrink-on-load) replaces one full decode per output.
 */
import type { Preset } from '../../events/config/schema.ts';

/** The scale (≤ 1) at which a preset needs the source. */
function requiredScale(preset: Preset, width: number, height: number): number {
  const sx = preset.width !== undefined ? preset.width / width : undefined;
  const sy = preset.height !== undefined ? preset.height / height : undefined;
  if (sx === undefined && sy === undefined) return 1;
  if (sx === undefined) return sy ?? 1;
  if (sy === undefined) return sx;
  return preset.fit === 'cover' ? Math.max(sx, sy) : Math.min(sx, sy);
}

export interface IntermediateSize {
  readonly width: number;
  readonly height: number;
  /** False when the source itself is already small enough: decode at full size. */
  readonly resized: boolean;
}

export function intermediateSize(
  presets: readonly Preset[],
  width: number,
  height: number,
): IntermediateSize {
  let binding: Preset | undefined;
  let needed = 0;
  for (const preset of presets) {
    const s = requiredScale(preset, width, height);
    if (s > needed) {
      needed = s;
      binding = preset;
    }
  }
  const scale = Math.min(1, needed);
  if (scale >= 1) return { width, height, resized: false };
  // The largest rendition is an `inside` one (the usual case): decode straight to its exact
  // size, so it needs no second resample (a 1601-px intermediate resized to 1600 loses detail).
  if (binding?.fit === 'inside') return { ...insideSize(binding, width, height), resized: true };
  // Round up: the intermediate must never be smaller than what a preset asks for.
  return {
    width: Math.max(1, Math.ceil(width * scale)),
    height: Math.max(1, Math.ceil(height * scale)),
    resized: true,
  };
}

/**
 * The exact size of an `inside` rendition, computed from the source as a direct resize of the
 * source would compute it (the box side that binds is met exactly, the other side rounded), so
 * deriving it from the rounded intermediate never shifts it by a pixel.
 */
export function insideSize(
  preset: Preset,
  width: number,
  height: number,
): { width: number; height: number } {
  const sx = preset.width !== undefined ? preset.width / width : Number.POSITIVE_INFINITY;
  const sy = preset.height !== undefined ? preset.height / height : Number.POSITIVE_INFINITY;
  const scale = Math.min(sx, sy);
  if (preset.withoutEnlargement && scale >= 1) return { width, height };
  if (sx <= sy)
    return { width: preset.width ?? width, height: Math.max(1, Math.round(height * sx)) };
  return { width: Math.max(1, Math.round(width * sy)), height: preset.height ?? height };
}

/** Presets ordered largest first, the order their renditions are produced in. */
export function largestFirst(presets: readonly Preset[]): Preset[] {
  const area = (p: Preset) => (p.width ?? p.height ?? 0) * (p.height ?? p.width ?? 0);
  return [...presets].sort((a, b) => area(b) - area(a));
}
