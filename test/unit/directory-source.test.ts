import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectInputs } from '../../lib/ops/inputs.ts';
import { collect, summary } from '../helpers/source-items.ts';

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
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'pixelmill-directory-source-'));
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('walks in sorted order with the keys collectInputs gives', async () => {
    const root = join(base, 'photos');
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
    const eager = await collectInputs([root], 'uploads/');
    assert.deepEqual(
      outcomes.map((o) => (o.kind === 'entry' ? `uploads/${o.name}` : o.reason)),
      eager.map((f) => f.key),
    );
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
    const root = join(base, 'special');
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
    const root = join(base, 'odd');
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
    const file = join(base, '.hidden-but-named.jpg');
    await writeFile(file, 'x');
    const { outcomes, progress } = await collect(file);
    assert.deepEqual(summary(outcomes), ['0 .hidden-but-named.jpg']);
    assert.equal(progress.bytesRead, 1);
    const backup = join(base, 'backup.gz');
    await writeFile(backup, 'x');
    assert.deepEqual(
      summary((await collect(backup)).outcomes),
      ['0 backup.gz'],
      'named, so not refused as nested',
    );
  });

  it('skips by name, keeping indices', async () => {
    const root = join(base, 'resume');
    await tree(root, { 'a.jpg': 'a', 'b.jpg': 'b', 'c.jpg': 'c' });
    const { outcomes } = await collect(root, { skip: (_i, name) => name !== 'resume/b.jpg' });
    assert.deepEqual(summary(outcomes), ['1 resume/b.jpg']);
  });
});
