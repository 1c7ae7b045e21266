/**
 * Writes manifest.json as images settle, so a run holds no image once it is written: memory stays
 * flat whatever the number of inputs. The file is the same JSON document as before — an object
 * with `summary` and `images` — with `images` written first and `summary` last (key order carries
 * no meaning in JSON), each value spelled with printableJson (no byte a terminal obeys).
 * Until `close`, the file is incomplete and says so: it does not parse.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { ManifestImage, ManifestSummary } from './manifest.ts';
import { printableJson } from './printable.ts';

/** How many not-DONE images are kept for the terminal summary. */
export const NOT_DONE_SHOWN = 20;

export interface ManifestTotals {
  readonly summary: ManifestSummary;
  /** The first NOT_DONE_SHOWN images that are not DONE, for the terminal. */
  readonly notDone: readonly ManifestImage[];
  readonly renditions: number;
}

export class ManifestWriter {
  readonly #out: WriteStream;
  readonly #started = performance.now();
  #first = true;
  #counts = { total: 0, done: 0, rejected: 0, failed: 0, pending: 0, refused: 0 };
  #renditions = 0;
  readonly #notDone: ManifestImage[] = [];
  #failed: Error | undefined;

  constructor(file: string) {
    this.#out = createWriteStream(file);
    this.#out.on('error', (error) => {
      this.#failed = error;
    });
    this.#out.write('{\n  "images": [');
  }

  /** Appends one image; resolves once the stream has room again (backpressure). */
  async add(image: ManifestImage): Promise<void> {
    if (this.#failed) throw this.#failed;
    const c = this.#counts;
    c.total++;
    if (image.status === 'DONE') c.done++;
    else if (image.status === 'REJECTED') c.rejected++;
    else if (image.status === 'FAILED') c.failed++;
    else c.pending++;
    if (image.refused === true) c.refused++;
    this.#renditions += image.renditions.length;
    if (image.status !== 'DONE' && this.#notDone.length < NOT_DONE_SHOWN) this.#notDone.push(image);
    const json = printableJson(JSON.stringify(image, null, 2)).replaceAll('\n', '\n    ');
    const more = this.#out.write(`${this.#first ? '\n' : ',\n'}    ${json}`);
    this.#first = false;
    if (!more) await once(this.#out, 'drain');
  }

  /** Writes the summary and closes the file. */
  async close(): Promise<ManifestTotals> {
    const seconds = (performance.now() - this.#started) / 1000;
    const c = this.#counts;
    const summary: ManifestSummary = {
      ...c,
      seconds: Math.round(seconds * 100) / 100,
      imagesPerSecond: seconds > 0 ? Math.round((c.total / seconds) * 100) / 100 : 0,
    };
    const tail = JSON.stringify(summary, null, 2).replaceAll('\n', '\n  ');
    this.#out.end(`${this.#first ? '' : '\n  '}],\n  "summary": ${tail}\n}\n`);
    await once(this.#out, 'close');
    if (this.#failed) throw this.#failed;
    return { summary, notDone: this.#notDone, renditions: this.#renditions };
  }
}
