/**
 * The paths `pixelmill run` writes in `--out`, claimed image by image before anything is
 * uploaded, so that no two things ever share one: `manifest.json` and `report.html` at the top,
 * and for each image `<image path>/<preset>.<ext>` (the image path is its key without the
 * uploads prefix). Keys are distinct, but a path can still be wanted as a file and as a
 * directory at once:
 * - an image at `manifest.json` or `report.html`, or below a directory of that name;
 * - an image at `x.gif/w320.jpg` beside an image `x.gif`, whose rendition `w320.jpg` is that
 *   very path (in either order; deeper too: `x.gif/w320.jpg/a.png`).
 * - on a file system that ignores case (macOS's default, Windows), `A.jpg` beside `a.jpg`.
 * The later image is refused; the first one keeps its paths. Memory: a 64-bit hash per image,
 * and one more per segment of its path that looks like a rendition file name (rare).
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NameRegistry } from '../ingest/sources/name-registry.ts';

/**
 * Whether the file system of `dir` (which must exist) takes `A` and `a` for one name: a probe
 * file is written in lower case and looked for in upper case.
 */
export async function ignoresCase(dir: string): Promise<boolean> {
  const name = `.pixelmill-case-probe-${process.pid}`;
  const probe = join(dir, name);
  await writeFile(probe, '');
  try {
    return (await stat(join(dir, name.toUpperCase())).catch(() => undefined)) !== undefined;
  } finally {
    await rm(probe, { force: true });
  }
}

export class ExportPaths {
  /** Image paths claimed. */
  readonly #images = new NameRegistry();
  /** Paths that may not be an image: one of their rendition files is a claimed image's directory. */
  readonly #parentsOfImages = new NameRegistry();
  readonly #reserved: ReadonlySet<string>;
  readonly #renditionFiles: ReadonlySet<string>;
  readonly #fold: (name: string) => string;
  readonly #ignoreCase: boolean;
  #claimed = 0;

  /**
   * `reserved`: the files written at the top of the output; `renditionFiles`: every file name a
   * rendition can have under the config (`w320.jpg`, …); `ignoreCase`: whether the output's file
   * system takes names differing only in case for one (`ignoresCase`).
   */
  constructor(
    reserved: readonly string[],
    renditionFiles: ReadonlySet<string>,
    options: { readonly ignoreCase?: boolean } = {},
  ) {
    this.#ignoreCase = options.ignoreCase === true;
    this.#fold = this.#ignoreCase ? (name) => name.toLowerCase() : (name) => name;
    this.#reserved = new Set(reserved.map(this.#fold));
    this.#renditionFiles = new Set([...renditionFiles].map(this.#fold));
  }

  /**
   * Claims `path` ('/'-separated, cleaned: no empty, `.` or `..` segment) for one image's
   * renditions; when it cannot be, says why (and nothing is claimed).
   */
  claim(shown: string): string | undefined {
    const path = this.#fold(shown);
    const segments = path.split('/');
    const named = shown.split('/');
    if (this.#reserved.has(segments[0] ?? '')) {
      const top = named[0] ?? '';
      return `its renditions would go in ${top}/ in the output directory, where the run writes its own ${top}`;
    }
    if (this.#images.find(path)) {
      return `an earlier image has the same path in the output directory${this.#ignoreCase ? ' (its file system ignores case)' : ''}`;
    }
    for (let depth = 1; depth < segments.length; depth += 1) {
      if (!this.#renditionFiles.has(segments[depth] ?? '')) continue;
      if (this.#images.find(segments.slice(0, depth).join('/'))) {
        return `its renditions would go in ${named.slice(0, depth + 1).join('/')}/, which is the rendition file ${named[depth]} of the earlier image ${named.slice(0, depth).join('/')}`;
      }
    }
    if (this.#parentsOfImages.find(path)) {
      return `one of its rendition files (${shown}/<preset>.<ext>) would be the directory of an earlier image below ${shown}/`;
    }
    const index = this.#claimed++;
    this.#images.add(path, index, 'entry');
    for (let depth = 1; depth < segments.length; depth += 1) {
      if (this.#renditionFiles.has(segments[depth] ?? '')) {
        this.#parentsOfImages.add(segments.slice(0, depth).join('/'), index, 'entry');
      }
    }
    return undefined;
  }
}
