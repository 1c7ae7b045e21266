/**
 * Every pair of 64-bit hashes within a Hamming distance, without comparing all pairs: multi-index
 * hashing (Norouzi, Punjani & Fleet, "Fast Search in Hamming Space with Multi-Index Hashing",
 * CVPR 2012). The 64 bits are cut into m chunks and each chunk indexes the hashes by its value.
 * Two hashes at most `d` apart differ in at most ⌊d/m⌋ bits of some chunk (pigeonhole: were every
 * chunk ⌊d/m⌋ + 1 apart, the whole would be more than d), so probing each chunk's buckets at every
 * value within ⌊d/m⌋ bits of a hash's own finds all of its neighbours; each candidate is then
 * checked on all 64 bits. The result is exact, the same pairs as the all-pairs comparison. (The
 * radii are the paper's refinement, chunkRadii: ⌊d/m⌋ on some chunks, one less on the others.)
 *
 * m is chosen by a cost model (probes × expected bucket size, for uniform hashes) with each
 * chunk's table at most 2^MAX_CHUNK_BITS entries, so memory is O(n + m·2^bits): at 1M hashes,
 * three chunks of 21–22 bits, ~56 MB of typed arrays.
 */
import { InvalidDistanceError } from './errors.ts';

/** The largest distance searched: past it a "near" pair is hardly nearer than chance (32). */
export const MAX_DISTANCE = 20;
const MAX_CHUNK_BITS = 22;

/** Hashes as two 32-bit halves: `hi[i]` the top 32 bits of hash i, `lo[i]` the bottom. */
export interface Hashes64 {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly count: number;
}

export function popcount32(value: number): number {
  let x = value - ((value >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function distanceAt(hashes: Hashes64, a: number, b: number): number {
  return (
    popcount32(((hashes.hi[a] as number) ^ (hashes.hi[b] as number)) >>> 0) +
    popcount32(((hashes.lo[a] as number) ^ (hashes.lo[b] as number)) >>> 0)
  );
}

function combinations(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}

/** Bits per chunk, as even as 64 allows (the first ones one bit longer). */
function chunkBits(chunks: number): number[] {
  const base = Math.floor(64 / chunks);
  return Array.from({ length: chunks }, (_, j) => base + (j < 64 % chunks ? 1 : 0));
}

/**
 * The search radius of each chunk. With d = m·q + a (0 ≤ a < m), a pair within d is within q
 * bits on one of the first a + 1 chunks or within q − 1 on one of the others: were the first
 * a + 1 each q + 1 apart and the others q, the whole would be (a+1)(q+1) + (m−a−1)q = d + 1.
 * (The paper's refinement of the plain ⌊d/m⌋ on every chunk.) A radius of −1 probes nothing.
 */
export function chunkRadii(chunks: number, distance: number): number[] {
  const q = Math.floor(distance / chunks);
  const a = distance % chunks;
  return Array.from({ length: chunks }, (_, j) => (j <= a ? q : q - 1));
}

/** Relative costs: a bucket probed (a random read of its offsets) and a candidate checked. */
const PROBE_COST = 1;
const CANDIDATE_COST = 1;

/** The index's shape for `count` hashes and `distance`: what the cost model finds cheapest. */
export function planChunks(count: number, distance: number): { bits: number[]; radii: number[] } {
  let best: { bits: number[]; radii: number[]; cost: number } | undefined;
  for (let m = Math.ceil(64 / MAX_CHUNK_BITS); m <= 32; m++) {
    const bits = chunkBits(m);
    const radii = chunkRadii(m, distance);
    let cost = 0;
    bits.forEach((s, j) => {
      let probes = 0;
      for (let k = 0; k <= Math.min(radii[j] as number, s); k++) probes += combinations(s, k);
      cost += probes * (PROBE_COST + (CANDIDATE_COST * count) / 2 ** s);
    });
    if (!best || cost < best.cost) best = { bits, radii, cost };
  }
  const { bits, radii } = best as { bits: number[]; radii: number[] };
  return { bits, radii };
}

/** Bits [start, start + width) of hash i, counted from the most significant, as a number. */
function chunkOf(hashes: Hashes64, i: number, start: number, width: number): number {
  const hi = hashes.hi[i] as number;
  const lo = hashes.lo[i] as number;
  // The 64 bits as a window: shift so the chunk ends at bit 0, mask `width` bits.
  const end = start + width; // exclusive, from the top
  let value: number;
  if (end <= 32) value = hi >>> (32 - end);
  else if (start >= 32) value = lo >>> (64 - end);
  else value = (hi << (end - 32)) | (lo >>> (64 - end));
  return width === 32 ? value >>> 0 : (value & ((1 << width) - 1)) >>> 0;
}

interface Chunk {
  /** Each hash's value of this chunk. */
  readonly values: Uint32Array;
  /** Bucket v holds items[offsets[v] … offsets[v+1]), in ascending hash index. */
  readonly offsets: Uint32Array;
  readonly items: Uint32Array;
  readonly width: number;
}

function buildChunk(hashes: Hashes64, start: number, width: number): Chunk {
  const n = hashes.count;
  const values = new Uint32Array(n);
  const offsets = new Uint32Array(2 ** width + 1);
  for (let i = 0; i < n; i++) {
    const v = chunkOf(hashes, i, start, width);
    values[i] = v;
    offsets[v + 1] = (offsets[v + 1] as number) + 1;
  }
  for (let v = 1; v < offsets.length; v++)
    offsets[v] = (offsets[v] as number) + (offsets[v - 1] as number);
  const items = new Uint32Array(n);
  const fill = offsets.slice(0, offsets.length - 1);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    items[fill[v] as number] = i;
    fill[v] = (fill[v] as number) + 1;
  }
  return { values, offsets, items, width };
}

/**
 * Calls `visit(a, b, distance)` once for every pair a < b whose hashes are at most `distance`
 * bits apart (in no promised order). `chunks` overrides the cost model's choice (tests use it:
 * the answer is the same whatever the number of chunks, only the time differs).
 */
export function forEachNearPair(
  hashes: Hashes64,
  distance: number,
  visit: (a: number, b: number, distance: number) => void,
  chunks?: number,
): void {
  if (!Number.isInteger(distance) || distance < 0 || distance > MAX_DISTANCE)
    throw new InvalidDistanceError(distance, MAX_DISTANCE);
  const n = hashes.count;
  if (n < 2) return;
  const { bits, radii } =
    chunks === undefined
      ? planChunks(n, distance)
      : { bits: chunkBits(chunks), radii: chunkRadii(chunks, distance) };
  const index: Chunk[] = [];
  let start = 0;
  for (const width of bits) {
    index.push(buildChunk(hashes, start, width));
    start += width;
  }
  const { hi, lo } = hashes;
  // Chunk by chunk, each hash probing the buckets within the chunk's radius of its own value.
  for (let j = 0; j < index.length; j++) {
    const { values, offsets, items, width } = index[j] as Chunk;
    const masks = flipMasks(width, radii[j] as number);
    // In the order of this chunk's values: consecutive hashes probe neighbouring buckets, so the
    // offsets read stay in cache (in index order, every probe of a 2^22 table was a cache miss).
    for (let q = 0; q < n; q++) {
      const a = items[q] as number;
      const own = values[a] as number;
      const ha = hi[a] as number;
      const la = lo[a] as number;
      for (let k = 0; k < masks.length; k++) {
        const value = (own ^ (masks[k] as number)) >>> 0;
        const first = offsets[value] as number;
        // Ascending indexes: from the end down to the first that is not after `a`.
        for (let p = (offsets[value + 1] as number) - 1; p >= first; p--) {
          const b = items[p] as number;
          if (b <= a) break;
          const d =
            popcount32((ha ^ (hi[b] as number)) >>> 0) + popcount32((la ^ (lo[b] as number)) >>> 0);
          // Found through its first chunk within the radius only: each pair once.
          if (d <= distance && firstCloseChunk(index, a, b, radii) === j) visit(a, b, d);
        }
      }
    }
  }
}

function firstCloseChunk(chunks: readonly Chunk[], a: number, b: number, radii: number[]): number {
  for (let j = 0; j < chunks.length; j++) {
    const values = (chunks[j] as Chunk).values;
    if (popcount32(((values[a] as number) ^ (values[b] as number)) >>> 0) <= (radii[j] as number))
      return j;
  }
  return -1;
}

/** Every value of `width` bits with at most `radius` bits set (none for −1): the XORs that reach each neighbour. */
function flipMasks(width: number, radius: number): Uint32Array {
  const masks: number[] = [];
  if (radius < 0) return new Uint32Array(0);
  const flip = (mask: number, from: number, left: number): void => {
    masks.push(mask);
    if (left === 0) return;
    for (let bit = from; bit < width; bit++) flip((mask | (1 << bit)) >>> 0, bit + 1, left - 1);
  };
  flip(0, 0, radius);
  return Uint32Array.from(masks);
}
