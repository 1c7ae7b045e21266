/**
 * The bounded pieces the report's collection is made of, against the unbounded thing each
 * replaces: BoundedSelection against sort-then-slice, InstantHistogram against exact counts of
 * sorted instants, KeyPrefixes against `prefixes.some(p => key.startsWith(p))`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyPrefixes } from '../../lib/ops/key-prefixes.ts';
import { BoundedSelection } from '../../lib/report/bounded-selection.ts';
import { InstantHistogram } from '../../lib/report/instant-histogram.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

describe('BoundedSelection', () => {
  it('keeps what sorting everything and slicing would, ties in stream order', () => {
    const next = seededRandom(1);
    for (const limit of [0, 1, 3, 10, 300]) {
      const items = Array.from({ length: 2000 }, (_, seq) => ({
        value: Math.floor(next() * 50),
        seq,
      }));
      const order = (a: (typeof items)[number], b: (typeof items)[number]) =>
        a.value - b.value || a.seq - b.seq;
      const selection = new BoundedSelection(limit, order);
      for (const item of items) selection.offer(item);
      assert.equal(selection.size, Math.min(limit, items.length));
      assert.deepEqual(
        selection.sorted(),
        [...items].sort(order).slice(0, limit),
        `limit ${limit}`,
      );
    }
  });

  it('rejects a limit that is not a count', () => {
    assert.throws(
      () => new BoundedSelection(-1, () => 0),
      /Expected non-negative integer for limit but received -1/,
    );
  });
});

describe('InstantHistogram', () => {
  const exact = (sorted: readonly number[], t: number) => {
    let n = 0;
    while (n < sorted.length && (sorted[n] ?? 0) <= t) n++;
    return n;
  };

  it('counts exactly while the instants span fewer milliseconds than its bins', () => {
    const h = new InstantHistogram(4096);
    const instants = [1_700_000_000_000, 1_700_000_000_500, 1_700_000_003_000, 1_699_999_999_999];
    for (const i of instants) h.add(i);
    const sorted = [...instants].sort((a, b) => a - b);
    const at = Array.from({ length: 50 }, (_, i) => 1_699_999_999_990 + i * 70);
    assert.deepEqual(
      h.countsAt(at),
      at.map((t) => exact(sorted, t)),
    );
    assert.deepEqual([h.count, h.min, h.max], [4, 1_699_999_999_999, 1_700_000_003_000]);
  });

  it('stays within one bin of the exact count however wide the range, never early', () => {
    const next = seededRandom(2);
    const capacity = 256;
    const h = new InstantHistogram(capacity);
    const start = 1_700_000_000_000;
    const range = 6 * 3600_000;
    // Out of order, both ends growing: every path of add (shift left, grow right, coarsen).
    const instants = Array.from({ length: 20_000 }, () => start + Math.floor(next() * range));
    for (const i of instants) h.add(i);
    const sorted = [...instants].sort((a, b) => a - b);
    const min = sorted[0] ?? 0;
    const max = sorted.at(-1) ?? 0;
    const widest = (2 * (max - min)) / capacity;
    const at = Array.from({ length: 120 }, (_, i) => min + ((max - min) * i) / 119);
    const counts = h.countsAt(at);
    at.forEach((t, i) => {
      const truth = exact(sorted, t);
      const inBin = exact(sorted, t) - exact(sorted, t - widest);
      const got = counts[i] ?? -1;
      assert.ok(got <= truth, `at ${i}: ${got} counted, only ${truth} had happened`);
      assert.ok(truth - got <= inBin, `at ${i}: ${got}, exact ${truth}, one bin holds ${inBin}`);
    });
    assert.equal(counts.at(-1), instants.length, 'everything by the last instant');
    assert.equal(h.countsAt([min - 1])[0], 0);
  });

  it('holds nothing when given nothing', () => {
    const h = new InstantHistogram();
    assert.deepEqual(
      [h.count, h.min, h.max, h.countsAt([0, 1])],
      [0, undefined, undefined, [0, 0]],
    );
  });
});

describe('KeyPrefixes', () => {
  it('answers as `some(startsWith)` does, nested and overlapping prefixes included', () => {
    const prefixes = [
      'uploads/a/',
      'uploads/a/b/',
      'uploads/c.jpg',
      'uploads/ab',
      'uploads/é/',
      'uploads/😀/',
      'uploads/z',
      'uploads/a/',
    ];
    const set = new KeyPrefixes(prefixes);
    assert.deepEqual(set.roots, [
      'uploads/a/',
      'uploads/ab',
      'uploads/c.jpg',
      'uploads/z',
      'uploads/é/',
      'uploads/😀/',
    ]);
    const keys = [
      'uploads/a/1.jpg',
      'uploads/a/b/2.jpg',
      'uploads/a',
      'uploads/ab',
      'uploads/abc/3.jpg',
      'uploads/aa/4.jpg',
      'uploads/c.jpg',
      'uploads/c.jpg.bak',
      'uploads/c.jp',
      'uploads/b/5.jpg',
      'uploads/zz',
      'uploads/é/6.jpg',
      'uploads/e/7.jpg',
      'uploads/😀/8.jpg',
      'uploads/😁/9.jpg',
      '',
      'z',
    ];
    for (const key of keys) {
      assert.equal(
        set.has(key),
        prefixes.some((p) => key.startsWith(p)),
        key,
      );
    }
    assert.equal(new KeyPrefixes([]).has('uploads/a/1.jpg'), false, 'no prefixes: no keys');
    assert.equal(new KeyPrefixes(['']).has('anything'), true, 'the empty prefix: every key');
  });

  it('narrows to a prefix and finds the common prefix', () => {
    const set = new KeyPrefixes(['uploads/2024/a/', 'uploads/2024/b.jpg', 'uploads/2023/', 'up']);
    assert.deepEqual(set.within('uploads/2024/').roots, ['uploads/2024/']);
    const narrow = new KeyPrefixes(['uploads/2024/a/', 'uploads/2024/b.jpg', 'uploads/2023/']);
    assert.deepEqual(narrow.within('uploads/2024/').roots, [
      'uploads/2024/a/',
      'uploads/2024/b.jpg',
    ]);
    assert.deepEqual(narrow.within('other/').roots, []);
    assert.equal(narrow.common(), 'uploads/202');
    assert.equal(new KeyPrefixes(['uploads/😀/', 'uploads/😁/']).common(), 'uploads/');
    assert.equal(new KeyPrefixes([]).common(), '');
  });
});
