/**
 * How the report page writes numbers, sizes, durations and times. Deterministic (no locale, no
 * time zone): the same data renders the same page on every machine, and every time is UTC.
 */

const DASH = '–';

/** 10000 → "10,000"; non-integers keep up to `digits` decimals. */
export function formatCount(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return DASH;
  const fixed = Math.abs(n).toFixed(digits);
  const [whole = '0', fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const trimmed = fraction?.replace(/0+$/, '');
  return `${n < 0 ? '-' : ''}${grouped}${trimmed ? `.${trimmed}` : ''}`;
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 1902952 → "1.8 MiB". */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return DASH;
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit: string = 'B';
  for (const next of BYTE_UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** Seconds → "0.4 s", "42 s", "3 min 12 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return DASH;
  if (seconds < 10) return `${formatCount(seconds, 1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const s = Math.round(seconds);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} d${hours ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${hours} h${minutes ? ` ${minutes} min` : ''}`;
  return `${minutes} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

/** Milliseconds of processing → "850 ms" or "2.35 s". */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${formatCount(ms / 1000, 2)} s`;
}

/** A parseable time → "2025-06-01T09:00:00Z" (UTC, to the second); anything else as given. */
export function formatUtc(at: string | number): string {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(at);
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
