/**
 * A set of key prefixes ("keys under any of these"), asked once per row of a scan: kept sorted
 * with every prefix that another one covers dropped, so a key is under the set exactly when it
 * starts with the greatest root not after it — one binary search, however many prefixes a run
 * was given (a shell glob can name thousands of files, each its own key).
 */
export class KeyPrefixes {
  /** Sorted by UTF-16 code units, none a prefix of another. */
  readonly roots: readonly string[];

  constructor(prefixes: Iterable<string>) {
    const sorted = [...new Set(prefixes)].sort(byCodeUnits);
    const roots: string[] = [];
    for (const p of sorted) {
      // Sorted, anything that starts with a kept root comes right after it (or after others
      // that do): comparing with the last root kept is enough.
      const last = roots.at(-1);
      if (last === undefined || !p.startsWith(last)) roots.push(p);
    }
    this.roots = roots;
  }

  has(key: string): boolean {
    // The greatest root ≤ key: any root between a matching root r and key would start with r.
    let lo = 0;
    let hi = this.roots.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.roots[mid] ?? '') <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && key.startsWith(this.roots[found] ?? '');
  }

  /** The roots narrowed to keys that also start with `prefix` (for listing a bucket). */
  within(prefix: string): KeyPrefixes {
    return new KeyPrefixes(
      this.roots.flatMap((r) =>
        r.startsWith(prefix) ? [r] : prefix.startsWith(r) ? [prefix] : [],
      ),
    );
  }

  /** The longest prefix every root starts with ('' when there is none). */
  common(): string {
    const first = this.roots[0];
    const last = this.roots.at(-1);
    if (first === undefined || last === undefined) return '';
    // Sorted: what the first and the last share, every root between them shares.
    let n = 0;
    while (n < first.length && n < last.length && first[n] === last[n]) n++;
    // Never half a surrogate pair: a listing prefix is sent as UTF-8.
    const high = first.charCodeAt(n - 1);
    if (n > 0 && high >= 0xd800 && high <= 0xdbff) n--;
    return first.slice(0, n);
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
