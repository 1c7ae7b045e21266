/**
 * What the grouping keeps of each image while the table streams by: its row id and its hashes,
 * in typed arrays that grow by doubling, plus dimensions and size to list the groups with. About
 * 60 bytes of arrays per image and its row id as one string: measured 335 bytes per image with
 * 120-character row ids, so a million images in ~0.35 GB.
 */
import { InvalidHashError } from './errors.ts';
import type { Hashes64 } from './hamming-index.ts';

const HEX16 = /^[0-9a-f]{16}$/i;
const HEX64 = /^[0-9a-f]{64}$/i;

export interface HashedImage {
  /** Identifies the row to the caller (the table's `pk\u0000sk`). */
  readonly id: string;
  /** The 64-bit perceptual hash, 16 hex digits (analysis.phash). */
  readonly phash: string;
  /** The SHA-256 of the bytes, 64 hex digits (analysis.sha256), when known. */
  readonly sha256?: string | undefined;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  readonly bytes?: number | undefined;
  /** The row this one was found to be an exact copy of, when the worker recorded one. */
  readonly duplicateOf?: string | undefined;
}

export class HashList implements Hashes64 {
  count = 0;
  hi = new Uint32Array(1024);
  lo = new Uint32Array(1024);
  /** 32 bytes per image; all zero (with hasSha 0) when unknown. */
  private sha = new Uint8Array(1024 * 32);
  private hasSha = new Uint8Array(1024);
  private dims = new Uint32Array(1024 * 2);
  private size = new Float64Array(1024);
  private readonly ids: string[] = [];
  private readonly links = new Map<number, string>();

  private grow(): void {
    const grown = <T extends Uint32Array | Uint8Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.hi = grown(this.hi);
    this.lo = grown(this.lo);
    this.sha = grown(this.sha);
    this.hasSha = grown(this.hasSha);
    this.dims = grown(this.dims);
    this.size = grown(this.size);
  }

  /** Adds an image; its index is the count before. Throws InvalidHashError on a bad phash. */
  add(image: HashedImage): number {
    if (!HEX16.test(image.phash)) throw new InvalidHashError(image.phash);
    if (this.count === this.hi.length) this.grow();
    const i = this.count++;
    this.hi[i] = Number.parseInt(image.phash.slice(0, 8), 16);
    this.lo[i] = Number.parseInt(image.phash.slice(8), 16);
    if (image.sha256 !== undefined && HEX64.test(image.sha256)) {
      this.sha.set(Buffer.from(image.sha256, 'hex'), i * 32);
      this.hasSha[i] = 1;
    }
    this.dims[i * 2] = image.width ?? 0;
    this.dims[i * 2 + 1] = image.height ?? 0;
    this.size[i] = image.bytes ?? -1;
    this.ids.push(image.id);
    if (image.duplicateOf !== undefined) this.links.set(i, image.duplicateOf);
    return i;
  }

  id(i: number): string {
    return this.ids[i] as string;
  }

  phash(i: number): string {
    return (
      (this.hi[i] as number).toString(16).padStart(8, '0') +
      (this.lo[i] as number).toString(16).padStart(8, '0')
    );
  }

  /** The SHA-256 as hex, or undefined when the row had none. */
  sha256(i: number): string | undefined {
    if (this.hasSha[i] !== 1) return undefined;
    return Buffer.from(this.sha.subarray(i * 32, i * 32 + 32)).toString('hex');
  }

  /** Whether both have a SHA-256 and it is the same: the same bytes. */
  sameBytes(a: number, b: number): boolean {
    if (this.hasSha[a] !== 1 || this.hasSha[b] !== 1) return false;
    for (let k = 0; k < 32; k++) if (this.sha[a * 32 + k] !== this.sha[b * 32 + k]) return false;
    return true;
  }

  width(i: number): number | undefined {
    return this.dims[i * 2] || undefined;
  }

  height(i: number): number | undefined {
    return this.dims[i * 2 + 1] || undefined;
  }

  bytes(i: number): number | undefined {
    const b = this.size[i] as number;
    return b < 0 ? undefined : b;
  }

  duplicateOf(i: number): string | undefined {
    return this.links.get(i);
  }
}
