/**
 * The near-duplicate index against the all-pairs oracle: seeded random hashes (uniform, and
 * clustered as photos and their copies are), every distance the CLI accepts, and the edge cases
 * (distance 0, identical hashes, one image, none). Then the grouping: components, the distance
 * of each member to its group's first, exact copies by SHA-256.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupDuplicates } from '../../lib/duplicates/group.ts';
import { forEachNearPair, MAX_DISTANCE, planChunks } from '../../lib/duplicates/hamming-index.ts';
import { HashList } from '../../lib/duplicates/hash-list.ts';
import { hammingDistance } from '../../lib/imaging/phash.ts';
import { seededUint32 } from '../helpers/seeded-random.ts';

function hex(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** `count` hashes: some uniform, the rest copies of earlier ones with a few bits flipped. */
function hashes(seed: number, count: number, flipUpTo: number): string[] {
  const next = seededUint32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i === 0 || next() % 3 === 0) {
      out.push(hex(next(), next()));
      continue;
    }
    let h = BigInt(`0x${out[next() % out.length]}`);
    for (let f = next() % (flipUpTo + 1); f > 0; f--) h ^= 1n << BigInt(next() % 64);
    out.push(h.toString(16).padStart(16, '0'));
  }
  return out;
}

function listOf(phashes: readonly string[], sha?: (i: number) => string | undefined): HashList {
  const list = new HashList();
  phashes.forEach((phash, i) => {
    list.add({ id: `row${String(i).padStart(5, '0')}`, phash, sha256: sha?.(i) });
  });
  return list;
}

function indexPairs(phashes: readonly string[], distance: number, chunks?: number): string[] {
  const pairs: string[] = [];
  forEachNearPair(
    listOf(phashes),
    distance,
    (a, b, d) => {
      pairs.push(`${a}-${b}:${d}`);
    },
    chunks,
  );
  return pairs.sort();
}

/** Every pair with its distance (phash.ts's own, BigInt), compared one by one. */
function allPairs(phashes: readonly string[]): { pair: string; d: number }[] {
  const pairs: { pair: string; d: number }[] = [];
  for (let a = 0; a < phashes.length; a++)
    for (let b = a + 1; b < phashes.length; b++)
      pairs.push({
        pair: `${a}-${b}`,
        d: hammingDistance(phashes[a] as string, phashes[b] as string),
      });
  return pairs;
}

function within(all: readonly { pair: string; d: number }[], distance: number): string[] {
  return all
    .filter((p) => p.d <= distance)
    .map((p) => `${p.pair}:${p.d}`)
    .sort();
}

function oraclePairs(phashes: readonly string[], distance: number): string[] {
  return within(allPairs(phashes), distance);
}

describe('the Hamming index', () => {
  it('finds exactly the all-pairs oracle’s pairs, each once, at every distance', () => {
    for (const seed of [1, 2, 3]) {
      const phashes = hashes(seed, 500, 12);
      const all = allPairs(phashes);
      for (let distance = 0; distance <= MAX_DISTANCE; distance += seed === 1 ? 1 : 4) {
        const expected = within(all, distance);
        assert.deepEqual(indexPairs(phashes, distance), expected, `seed ${seed} d ${distance}`);
        if (distance >= 4) assert.ok(expected.length > 50, 'the clusters plant near pairs');
      }
    }
  });

  it('agrees with the oracle under every chunk plan (the plan is only about speed)', () => {
    const plans = new Set([10, 1_000, 100_000, 1_000_000].map((n) => planChunks(n, 9).bits.length));
    assert.ok(plans.size >= 2, `the plan follows the count: ${[...plans].join(' ')} chunks`);
    const phashes = hashes(7, 300, 10);
    const all = allPairs(phashes);
    for (const distance of [0, 3, 9, 16])
      for (const chunks of [3, 4, 5, 7, 10, 17])
        assert.deepEqual(
          indexPairs(phashes, distance, chunks),
          within(all, distance),
          `d ${distance}, ${chunks} chunks`,
        );
  });

  it('handles distance 0, identical hashes, one image and none', () => {
    const same = ['00000000000000ff', '00000000000000ff', '00000000000000ff', '00000000000000fe'];
    assert.deepEqual(indexPairs(same, 0), ['0-1:0', '0-2:0', '1-2:0']);
    assert.deepEqual(indexPairs(same, 1), oraclePairs(same, 1));
    assert.equal(indexPairs(same, 1).length, 6);
    assert.deepEqual(indexPairs(['ffffffffffffffff'], 10), []);
    assert.deepEqual(indexPairs([], 10), []);
    assert.deepEqual(indexPairs(['0000000000000000', 'ffffffffffffffff'], MAX_DISTANCE), []);
  });

  it('refuses a distance it cannot search exactly', () => {
    assert.throws(() => indexPairs(['0000000000000000', '0000000000000000'], MAX_DISTANCE + 1), {
      name: 'InvalidDistanceError',
    });
    assert.throws(() => indexPairs(['0000000000000000', '0000000000000000'], 1.5), {
      name: 'InvalidDistanceError',
    });
  });

  it('refuses a perceptual hash that is not 16 hex digits', () => {
    assert.throws(() => new HashList().add({ id: 'x', phash: 'xyz' }), {
      name: 'InvalidHashError',
    });
  });
});

describe('grouping duplicates', () => {
  it('makes connected components, each member with its distance to the first', () => {
    const a = '0000000000000000';
    const b = '000000000000001f'; // 5 from a
    const c = '00000000000003ff'; // 5 from b, 10 from a
    const far = 'ffffffffffff0000';
    const grouping = groupDuplicates(listOf([c, far, a, b]), 6);
    assert.equal(grouping.groups.length, 1);
    const [group] = grouping.groups;
    assert.deepEqual(group?.members, [0, 2, 3]);
    assert.deepEqual(group?.distances, [0, 10, 5]);
    assert.equal(group?.kind, 'near');
    assert.equal(grouping.imagesInGroups, 3);
    assert.equal(groupDuplicates(listOf([c, far, a, b]), 4).groups.length, 0);
  });

  it('calls a group exact when every member has the first one’s bytes', () => {
    const sha = (i: number) => (i === 3 ? 'b' : 'a').repeat(64);
    const phashes = [
      '1234567812345678',
      '1234567812345678',
      'ffff0000ffff0000',
      '1234567812345678',
    ];
    const grouping = groupDuplicates(listOf(phashes, sha), 0);
    assert.equal(grouping.groups[0]?.kind, 'near', 'the same picture, other bytes');
    assert.deepEqual(grouping.groups[0]?.sameBytesAs, [-1, 0, -1]);
    const exact = groupDuplicates(listOf(phashes.slice(0, 3), sha), 8);
    assert.equal(exact.groups[0]?.kind, 'exact');
    assert.equal(exact.exactGroups, 1);
    assert.equal(exact.exactCopies, 1);
  });

  it('puts the largest groups first', () => {
    const phashes = hashes(11, 2000, 3);
    const { groups } = groupDuplicates(listOf(phashes), 6);
    assert.ok(groups.length > 10);
    for (let i = 1; i < groups.length; i++)
      assert.ok((groups[i - 1]?.members.length ?? 0) >= (groups[i]?.members.length ?? 0));
  });
});
