/**
 * The names already taken in one archive, for collision checks, in a few dozen bytes per entry
 * whatever the names' length: each name is kept as 64 bits of its SHA-256 in an open-addressing
 * table of typed arrays. Two different names share 64 bits with a probability of about n²/2⁶⁵
 * (3 × 10⁻⁸ for a million entries); a hostile archive crafting that would only refuse its own entry.
 * SHA-256 rather than a fast hash, so a hostile archive cannot pile names onto one probe chain.
 */
import { hash } from 'node:crypto';

export type NameKind = 'entry' | 'link';

const KIND_CODES = { entry: 1, link: 2 } as const satisfies Record<NameKind, number>;

export interface RegisteredName {
  /** The item index of the entry that took the name. */
  readonly index: number;
  readonly kind: NameKind;
}

export class NameRegistry {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #index: Int32Array;
  #kind: Uint8Array;
  #size = 0;

  constructor(initialCapacity = 1024) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, initialCapacity * 2)));
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#index = new Int32Array(slots).fill(-1);
    this.#kind = new Uint8Array(slots);
  }

  get size(): number {
    return this.#size;
  }

  find(name: string): RegisteredName | undefined {
    const [hi, lo] = digest(name);
    const slot = this.#slotOf(hi, lo);
    const index = this.#index[slot] ?? -1;
    if (index < 0) return undefined;
    return { index, kind: this.#kind[slot] === KIND_CODES.link ? 'link' : 'entry' };
  }

  /** Records the name: the first registration wins, except that an entry replaces a link. */
  add(name: string, index: number, kind: NameKind): void {
    if ((this.#size + 1) * 2 > this.#index.length) this.#grow();
    const [hi, lo] = digest(name);
    this.#put(hi, lo, index, KIND_CODES[kind]);
  }

  #put(hi: number, lo: number, index: number, kind: number): void {
    const slot = this.#slotOf(hi, lo);
    const taken = (this.#index[slot] ?? -1) >= 0;
    if (taken && !(this.#kind[slot] === KIND_CODES.link && kind === KIND_CODES.entry)) return;
    if (!taken) this.#size += 1;
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    this.#index[slot] = index;
    this.#kind[slot] = kind;
  }

  /** The slot holding this digest, or the empty slot where it would go. */
  #slotOf(hi: number, lo: number): number {
    const mask = this.#index.length - 1;
    let slot = lo & mask;
    while ((this.#index[slot] ?? -1) >= 0 && (this.#hi[slot] !== hi || this.#lo[slot] !== lo)) {
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  #grow(): void {
    const hi = this.#hi;
    const lo = this.#lo;
    const index = this.#index;
    const kind = this.#kind;
    const slots = index.length * 2;
    this.#hi = new Uint32Array(slots);
    this.#lo = new Uint32Array(slots);
    this.#index = new Int32Array(slots).fill(-1);
    this.#kind = new Uint8Array(slots);
    this.#size = 0;
    for (let slot = 0; slot < index.length; slot += 1) {
      const at = index[slot] ?? -1;
      if (at >= 0) this.#put(hi[slot] ?? 0, lo[slot] ?? 0, at, kind[slot] ?? 0);
    }
  }
}

function digest(name: string): [number, number] {
  const bytes = hash('sha256', name, 'buffer');
  return [bytes.readUInt32LE(0), bytes.readUInt32LE(4)];
}
