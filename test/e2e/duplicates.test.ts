/**
 * `pixelmill duplicates` through the real worker on the embedded cloud: `pixelmill run` renders a
 * generated photo, a resized and recompressed copy of it, a byte-for-byte copy, and a genuinely
 * different picture; `duplicates` then lists the first three as one group (the byte copy marked
 * as such) and not the fourth, and the run's report shows the group.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { DuplicatesListing } from '../../lib/duplicates/listing.ts';
import { hammingDistance } from '../../lib/imaging/phash.ts';
import { runCli } from '../helpers/cli.ts';
import { inputRunDir } from '../helpers/photo-dirs.ts';

/**
 * A picture of seeded coloured blocks on a dark ground: its large shapes give a perceptual hash
 * that copies keep (resized and recompressed: 0–2 bits), and another seed is another picture
 * (22–38 bits away). The catalogue's photoLike is no use here: its smooth gradients leave the
 * hash's low frequencies near their median, so a mere resize moves 16–34 bits.
 */
async function blocks(width: number, height: number, seed: number): Promise<Buffer> {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const rects = Array.from({ length: 14 }, () => {
    const w = Math.round(width * (0.1 + next() * 0.3));
    const h = Math.round(height * (0.1 + next() * 0.4));
    const x = Math.round(next() * (width - w));
    const y = Math.round(next() * (height - h));
    const fill = `rgb(${Math.round(next() * 255)},${Math.round(next() * 255)},${Math.round(next() * 255)})`;
    return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}"/>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#181818"/>${rects.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer();
}

describe('pixelmill duplicates', () => {
  it('groups a photo with its resized, recompressed and byte copies, and not another picture', {
    timeout: 300_000,
  }, async (t) => {
    const { dir, state, input } = await inputRunDir(t, 'duplicates', 'photos');
    const original = await blocks(1600, 1067, 1);
    const smaller = await sharp(original).resize(640).jpeg({ quality: 55 }).toBuffer();
    const other = await blocks(1600, 1067, 9);
    await writeFile(join(input, 'beach.jpg'), original);
    await writeFile(join(input, 'beach-small.jpg'), smaller);
    await writeFile(join(input, 'beach-again.jpg'), original);
    await writeFile(join(input, 'street.jpg'), other);

    const run = await runCli(['run', input, '--out', join(dir, 'out'), '--state', state]);
    assert.equal(run.code, 0, run.stderr);

    const json = await runCli(['duplicates', '--state', state, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const listing = JSON.parse(json.stdout) as DuplicatesListing;
    assert.equal(listing.images, 4, 'every DONE image compared');
    assert.equal(listing.groups.length, 1, json.stdout);
    const [group] = listing.groups;
    assert.equal(group?.kind, 'near', 'a resized copy has other bytes');
    assert.deepEqual(
      group?.images.map((i) => i.key),
      [
        'uploads/photos/beach-again.jpg',
        'uploads/photos/beach-small.jpg',
        'uploads/photos/beach.jpg',
      ],
    );
    assert.equal(group?.images[2]?.sameBytesAs, 'uploads/photos/beach-again.jpg');
    assert.equal(group?.images[1]?.sameBytesAs, undefined);
    assert.ok((group?.images[1]?.distance ?? 99) <= listing.distance);
    assert.deepEqual(
      [group?.images[0]?.width, group?.images[1]?.width, group?.images[1]?.bytes],
      [1600, 640, smaller.length],
    );
    assert.deepEqual(
      [listing.exactGroups, listing.nearGroups, listing.imagesInGroups, listing.exactCopies],
      [0, 1, 3, 1],
    );
    // The other picture is far from the photo: not a near miss that a smaller distance excludes.
    const rows = group?.images ?? [];
    const street = await runCli(['duplicates', '--state', state, '--json', '--distance', '20']);
    const wide = JSON.parse(street.stdout) as DuplicatesListing;
    assert.ok(!wide.groups.some((g) => g.images.some((i) => i.key.endsWith('street.jpg'))));
    assert.ok(
      rows.every((i) => hammingDistance(i.phash, rows[0]?.phash ?? '') <= listing.distance),
    );

    const human = await runCli(['duplicates', '--state', state]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^1 group\(s\) of duplicates among 4 DONE image\(s\)/);
    assert.match(human.stdout, /group 1 · near · 3 images/);
    assert.match(human.stdout, /beach\.jpg {2}\(same bytes as uploads\/photos\/beach-again\.jpg\)/);
    assert.doesNotMatch(human.stdout, /street/);

    const usage = await runCli(['duplicates', '--state', state, '--distance', '64']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Expected integer from 0 to 20 for --distance but received "64"/);

    const page = await readFile(join(dir, 'out', 'report.html'), 'utf8');
    assert.match(page, /<section id="duplicates"/);
    assert.match(page, /Group 1 · near · 3 images/);
    assert.match(page, /same bytes as beach-again\.jpg/);
  });
});
