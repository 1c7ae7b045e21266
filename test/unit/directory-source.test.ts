import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openFound } from '../../lib/ingest/sources/open-found.ts';
import { assertLetsGoOfFile, collect, noFdTable, summary } from '../helpers/source-items.ts';
import { suiteTempDir } from '../helpers/temp.ts';

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('directory source', () => {
  const at = suiteTempDir('directory-source');

  it('walks in sorted order, the directory’s own name first, hidden files skipped', async () => {
    const root = at('photos');
    await tree(root, {
      'b.jpg': 'b',
      'a/z.jpg': 'z',
      'a/y/x.jpg': 'x',
      'A.jpg': 'A',
      '.hidden.jpg': 'h',
      '.git/config': 'c',
      'empty.jpg': '',
    });
    await symlink(join(root, 'b.jpg'), join(root, 'c-link.jpg'));
    const { outcomes, progress } = await collect(root, { keyPrefix: 'uploads/' });
    assert.deepEqual(summary(outcomes), [
      '0 photos/A.jpg',
      '1 photos/a/y/x.jpg',
      '2 photos/a/z.jpg',
      '3 photos/b.jpg',
      '4 photos/c-link.jpg',
      '5 photos/empty.jpg',
    ]);
    const link = outcomes[4];
    assert.ok(link?.kind === 'entry');
    assert.equal(link.body?.toString(), 'b', 'a link to a file is followed');
    assert.equal(link.source, join(root, 'c-link.jpg'));
    assert.deepEqual(progress, {
      bytesRead: 5,
      totalBytes: undefined,
      entriesKnown: undefined,
      items: 6,
      ignored: 2,
    });
  });

  it('lists what it does not read: links to directories, broken links, FIFOs', async () => {
    const root = at('special');
    await tree(root, { 'sub/a.jpg': 'a', 'z.jpg': 'z' });
    await symlink(join(root, 'sub'), join(root, 'dir-link'));
    await symlink(join(root, 'nowhere'), join(root, 'broken'));
    const fifo = hasMkfifo();
    if (fifo) execFileSync('mkfifo', [join(root, 'fifo')]);
    const { outcomes } = await collect(root);
    const expected = [
      '0 refused not-a-regular-file',
      '1 refused not-a-regular-file',
      ...(fifo ? ['2 refused not-a-regular-file'] : []),
    ];
    assert.deepEqual(summary(outcomes).slice(0, expected.length), expected);
    assert.deepEqual(
      summary(outcomes)
        .slice(expected.length)
        .map((s) => s.replace(/^\d+ /, '')),
      ['special/sub/a.jpg', 'special/z.jpg'],
    );
    const details = outcomes.map((o) => (o.kind === 'refused' ? o.detail : undefined));
    assert.deepEqual(details.slice(0, expected.length), [
      'a broken symbolic link',
      'a symbolic link to a directory (not followed)',
      ...(fifo ? ['a FIFO'] : []),
    ]);
  });

  it('cleans names as archives do, and refuses siblings that clean alike', async () => {
    const root = at('odd');
    await tree(root, {
      'caf\u00e9.jpg': 'nfc',
      'cafe\u0301.jpg': 'nfd',
      'bell\u0007.jpg': 'bell',
      'back\\slash.jpg': 'bs',
      'inner.zip': 'zip',
      'd\u0007/a.jpg': 'under the second d',
      'd/a.jpg': 'under the first d',
      // 1,041 bytes as a key: every segment within the file system's 255, the whole over S3's 1,024.
      [`${'n'.repeat(255)}/${'m'.repeat(255)}/${'o'.repeat(255)}/${'p'.repeat(255)}/q.jpg`]: 'deep',
    });
    const { outcomes } = await collect(root, { keyPrefix: 'uploads/' });
    const byName = new Map(outcomes.map((o) => [o.source.slice(root.length + 1), o]));
    const reason = (name: string) => {
      const o = byName.get(name);
      return o?.kind === 'refused' ? o.reason : o?.name;
    };
    assert.equal(reason('back\\slash.jpg'), 'backslash-in-name');
    assert.equal(reason('bell\\u{0007}.jpg'), 'odd/bell.jpg');
    assert.equal(reason('cafe\u0301.jpg'), 'odd/café.jpg', 'sorted first, so it keeps the name');
    assert.equal(reason('caf\u00e9.jpg'), 'name-collision');
    assert.equal(reason('d\\u{0007}'), 'name-collision', 'a colliding directory is refused whole');
    assert.equal(reason('inner.zip'), 'nested-archive');
    assert.ok(outcomes.some((o) => o.kind === 'refused' && o.reason === 'name-too-long'));
    assert.ok(outcomes.some((o) => o.kind === 'entry' && o.name === 'odd/d/a.jpg'));
    assert.equal(
      outcomes.filter((o) => o.kind === 'entry' && o.name.startsWith('odd/d/')).length,
      1,
    );
  });

  it('reads a single file as one entry named by its base name', async () => {
    const file = at('.hidden-but-named.jpg');
    await writeFile(file, 'x');
    const { outcomes, progress } = await collect(file);
    assert.deepEqual(summary(outcomes), ['0 .hidden-but-named.jpg']);
    assert.equal(progress.bytesRead, 1);
    const backup = at('backup.gz');
    await writeFile(backup, 'x');
    assert.deepEqual(
      summary((await collect(backup)).outcomes),
      ['0 backup.gz'],
      'named, so not refused as nested',
    );
  });

  it('follows links to files inside the directory named, and refuses every link out of it', async () => {
    const secret = at('secret.txt');
    await writeFile(secret, 'the secret');
    const outsideDir = at('outside-dir');
    await tree(outsideDir, { 'x.jpg': 'outside' });
    const root = at('links');
    await tree(root, { 'real/a.jpg': 'a', 'b.jpg': 'b' });
    await symlink(secret, join(root, 'abs-out.jpg'));
    await symlink('../secret.txt', join(root, 'rel-out.jpg'));
    await symlink('real/a.jpg', join(root, 'in-rel.jpg'));
    await symlink(join(root, 'b.jpg'), join(root, 'in-abs.jpg'));
    // A chain: inside, then out.
    await symlink('abs-out.jpg', join(root, 'chain.jpg'));
    // A link to a directory outside, and a file reached through one.
    await symlink(outsideDir, join(root, 'dir-out'));
    await symlink(root, at('links-alias'));
    const { outcomes } = await collect(at('links-alias'));
    const by = new Map(outcomes.map((o) => [o.source.split('/').pop(), o]));
    const read = (name: string) => {
      const o = by.get(name);
      return o?.kind === 'entry'
        ? o.body?.toString()
        : `${o?.kind}:${o?.kind === 'refused' ? o.reason : ''}`;
    };
    assert.equal(read('in-rel.jpg'), 'a', 'a relative link inside is followed');
    assert.equal(read('in-abs.jpg'), 'b', 'an absolute link inside (the real path) is followed');
    assert.equal(read('abs-out.jpg'), 'refused:link-outside-source');
    assert.equal(read('rel-out.jpg'), 'refused:link-outside-source');
    assert.equal(read('chain.jpg'), 'refused:link-outside-source');
    assert.equal(read('dir-out'), 'refused:link-outside-source');
    const refusal = by.get('abs-out.jpg');
    assert.ok(refusal?.kind === 'refused');
    assert.match(refusal.detail, /a symbolic link to .*secret\.txt, outside .*links; not read/);
    for (const o of outcomes) {
      if (o.kind === 'entry') assert.notEqual(o.body?.toString(), 'the secret');
    }
    const names = outcomes.filter((o) => o.kind === 'entry').map((o) => o.name);
    assert.deepEqual(names, [
      'links-alias/b.jpg',
      'links-alias/in-abs.jpg',
      'links-alias/in-rel.jpg',
      'links-alias/real/a.jpg',
    ]);
  });

  it('refuses a name that is not UTF-8 by its bytes, and reads on', async () => {
    const root = Buffer.from(at('bytes'));
    await mkdir(root);
    const bad = Buffer.concat([
      root,
      Buffer.from('/bad-'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('.jpg'),
    ]);
    await writeFile(bad, 'bad');
    const badDir = Buffer.concat([root, Buffer.from('/dir-'), Buffer.from([0xc3, 0x28])]);
    await mkdir(badDir);
    await writeFile(Buffer.concat([badDir, Buffer.from('/inner.jpg')]), 'inner');
    await writeFile(join(root.toString(), 'good.jpg'), 'good');
    await writeFile(join(root.toString(), '\ufeffbom.jpg'), 'bom');
    const { outcomes } = await collect(root.toString());
    assert.deepEqual(
      outcomes.map((o) =>
        o.kind === 'refused'
          ? `${o.source.split('/').pop()} ${o.reason}`
          : `${o.name} ${o.body?.toString()}`,
      ),
      [
        'bad-\\x{ff}\\x{fe}.jpg invalid-name',
        'dir-\\x{c3}( invalid-name',
        'bytes/good.jpg good',
        'bytes/\ufeffbom.jpg bom',
      ],
    );
    const dir = outcomes[1];
    assert.ok(dir?.kind === 'refused');
    assert.match(dir.detail, /not valid UTF-8.*nothing below it was read/);
  });

  it('judges the file it opened, not the one it checked', async () => {
    const root = at('swap');
    await tree(root, { 'a.jpg': 'a', 'b.jpg': 'b', 'sub/c.jpg': 'c' });
    const secret = at('swap-secret.txt');
    await writeFile(secret, 'the secret');
    const a = join(root, 'a.jpg');
    const checked = await lstat(a);
    // A regular file swapped for a link after its check: O_NOFOLLOW fails, nothing is read.
    await rm(a);
    await symlink(secret, a);
    const swapped = await openFound(a, { follow: false, expected: checked, root });
    assert.equal(swapped.kind, 'failed');
    assert.match(
      swapped.kind === 'failed' ? swapped.error.message : '',
      /replaced by a symbolic link/,
    );
    // Swapped for another file: a different inode, not read.
    const b = join(root, 'b.jpg');
    const checkedB = await lstat(b);
    await rename(join(root, 'sub', 'c.jpg'), b);
    const other = await openFound(b, { follow: false, expected: checkedB, root });
    assert.equal(other.kind, 'failed');
    // A directory on the way swapped for a link out: the descriptor says where it really is.
    const outside = at('swap-outside');
    await tree(outside, { 'c.jpg': 'outside' });
    await rm(join(root, 'sub'), { recursive: true });
    await symlink(outside, join(root, 'sub'));
    const through = join(root, 'sub', 'c.jpg');
    const ancestor = await openFound(through, {
      follow: false,
      expected: await stat(through),
      root,
    });
    if (noFdTable) assert.equal(ancestor.kind, 'opened', 'without /proc the ancestor race stays');
    else {
      assert.equal(ancestor.kind, 'refused');
      assert.equal(ancestor.kind === 'refused' ? ancestor.reason : '', 'link-outside-source');
    }
    if (ancestor.kind === 'opened') await ancestor.handle.close();
  });

  it('lets go of every descriptor however the walk ends', { skip: noFdTable }, async () => {
    const root = at('descriptors');
    await tree(root, { 'a.jpg': 'a'.repeat(100_000), 'b/c.jpg': 'c', 'd.jpg': 'd' });
    await symlink(join(root, 'd.jpg'), join(root, 'e.jpg'));
    await assertLetsGoOfFile(root);
  });

  it('skips by name, keeping indices', async () => {
    const root = at('resume');
    await tree(root, { 'a.jpg': 'a', 'b.jpg': 'b', 'c.jpg': 'c' });
    const { outcomes } = await collect(root, { skip: (_i, name) => name !== 'resume/b.jpg' });
    assert.deepEqual(summary(outcomes), ['1 resume/b.jpg']);
  });
});
