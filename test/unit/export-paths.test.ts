/** Which image may have which directory in `run --out`: never a path wanted as file and directory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../lib/config/parse.ts';
import { ExportPaths, ignoresCase } from '../../lib/run/export-paths.ts';
import { renditionFileNames } from '../../lib/run/export-renditions.ts';
import { tempDir } from '../helpers/temp.ts';

const files = renditionFileNames(defaultConfig().presets);
const fresh = (ignoreCase = false) =>
  new ExportPaths(['manifest.json', 'report.html'], files, { ignoreCase });

describe('renditionFileNames', () => {
  it('names every file a rendition can have, "original" as any format', () => {
    assert.deepEqual([...files].sort(), [
      'w1600.jpg',
      'w1600.webp',
      'w320.jpg',
      'w320.webp',
      'w800.jpg',
      'w800.webp',
    ]);
    const [base] = defaultConfig().presets;
    assert.ok(base);
    const original = renditionFileNames([
      { ...base, name: 'o', formats: [{ format: 'original' }] },
    ]);
    assert.deepEqual([...original].sort(), ['o.avif', 'o.gif', 'o.jpg', 'o.png', 'o.webp']);
  });
});

describe('ExportPaths', () => {
  it('keeps the run’s own files to itself', () => {
    const paths = fresh();
    assert.match(paths.claim('manifest.json') ?? '', /where the run writes its own manifest\.json/);
    assert.match(paths.claim('report.html/a.jpg') ?? '', /report\.html/);
    assert.equal(paths.claim('photos/manifest.json'), undefined, 'deeper, it is only a name');
  });

  it('refuses the later of an image and a directory at its rendition file, in either order', () => {
    const first = fresh();
    assert.equal(first.claim('x.gif'), undefined);
    assert.match(
      first.claim('x.gif/w320.jpg') ?? '',
      /rendition file w320\.jpg of the earlier image x\.gif/,
    );
    assert.match(first.claim('x.gif/w800.webp/deep.png') ?? '', /x\.gif\/w800\.webp\//);
    assert.equal(first.claim('x.gif/other.jpg'), undefined, 'not a rendition name');
    const second = fresh();
    assert.equal(second.claim('x.gif/w320.jpg'), undefined);
    assert.match(second.claim('x.gif') ?? '', /directory of an earlier image below x\.gif\//);
    assert.equal(second.claim('y.gif'), undefined);
    assert.match(second.claim('x.gif/w320.jpg') ?? '', /same path/);
  });

  it('folds case where the file system does', () => {
    const paths = fresh(true);
    assert.equal(paths.claim('Photos/A.jpg'), undefined);
    assert.match(paths.claim('photos/a.jpg') ?? '', /ignores case/);
    assert.match(paths.claim('MANIFEST.JSON') ?? '', /MANIFEST\.JSON/);
    assert.match(
      paths.claim('Photos/A.jpg/W320.JPG') ?? '',
      /rendition file W320\.JPG of the earlier image Photos\/A\.jpg/,
    );
    assert.equal(fresh(false).claim('MANIFEST.JSON'), undefined);
  });

  it('probes the output file system for case', async (t) => {
    const dir = await tempDir(t, 'case');
    // Linux file systems in CI are case-sensitive; macOS's default is not.
    assert.equal(
      await ignoresCase(dir),
      process.platform === 'darwin' || process.platform === 'win32',
    );
  });
});
