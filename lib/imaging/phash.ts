/**
 * A 64-bit perceptual hash (the DCT "pHash"): the image reduced to 32×32 grey, its 2-D DCT, and
 * one bit per low-frequency coefficient (8×8, the DC term's bit included) saying whether it is
 * above the median of the others. Resizing, re-encoding and mild colour changes move few bits;
 * a different picture moves about half of them. Compare with `hammingDistance`: ≤ 10 of 64 bits
 * is a near-duplicate.
 */
const N = 32;
const K = 8;

const cosines: Float64Array[] = Array.from({ length: K }, (_, u) =>
  Float64Array.from({ length: N }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N))),
);

/** @param grey 32×32 greyscale pixels, row by row. */
export function perceptualHash(grey: ArrayLike<number>): string {
  if (grey.length !== N * N)
    throw new Error(`Expected ${N * N} grey pixels but received ${grey.length}`);
  const coefficients: number[] = [];
  for (let v = 0; v < K; v++) {
    const cv = cosines[v] as Float64Array;
    for (let u = 0; u < K; u++) {
      const cu = cosines[u] as Float64Array;
      let sum = 0;
      for (let y = 0; y < N; y++) {
        const row = y * N;
        const cy = cv[y] as number;
        for (let x = 0; x < N; x++) sum += (grey[row + x] as number) * (cu[x] as number) * cy;
      }
      coefficients.push(sum);
    }
  }
  const sorted = coefficients.slice(1).sort((a, b) => a - b);
  const median = ((sorted[31] as number) + (sorted[32] as number)) / 2;
  let hash = 0n;
  for (const c of coefficients) hash = (hash << 1n) | (c > median ? 1n : 0n);
  return hash.toString(16).padStart(16, '0');
}

export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let bits = 0;
  while (x > 0n) {
    bits += Number(x & 1n);
    x >>= 1n;
  }
  return bits;
}
