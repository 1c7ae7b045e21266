/**
 * Writes manifest.json as images settle, so a run holds no image once it is written: memory stays
 * flat whatever the number of inputs. The file is the same JSON document as before — an object
 * with `summary` and `images` — with `images` written first and `summary` last (key order carries
 * no meaning in JSON), each value spelled with printableJson (no byte a terminal obeys).
 * Until `close`, the file is incomplete and says so: it does not parse.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { printableJson } from '../ops/printable.ts';
import { isNotImage, type ManifestImage, type ManifestSummary } from './manifest.ts';

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
  /** The run's start on the clock rows' `updatedAt` are written with. */
  readonly #startedAt = Date.now();
  /** When the last image this run processed settled (epoch ms), if any did. */
  #lastProcessedAt: number | undefined;
  #first = true;
  #counts = {
    total: 0,
    done: 0,
    rejected: 0,
    failed: 0,
    pending: 0,
    refused: 0,
    notImages: 0,
    processed: 0,
  };
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

  /**
   * Appends one image; resolves once the stream has room again (backpressure). `settledAt`: when
   * its row reached its outcome (`updatedAt`); at or after the run's start, this run processed it.
   */
  async add(image: ManifestImage, settledAt?: string): Promise<void> {
    if (this.#failed) throw this.#failed;
    const c = this.#counts;
    c.total++;
    const at = settledAt === undefined ? Number.NaN : Date.parse(settledAt);
    if (at >= this.#startedAt) {
      c.processed++;
      this.#lastProcessedAt = Math.max(this.#lastProcessedAt ?? at, at);
    }
    if (isNotImage(image)) c.notImages++;
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
    const processing =
      this.#lastProcessedAt === undefined ? 0 : (this.#lastProcessedAt - this.#startedAt) / 1000;
    const summary: ManifestSummary = {
      ...c,
      seconds: Math.round(seconds * 100) / 100,
      processingSeconds: Math.round(processing * 100) / 100,
      // Only what this run processed, over the time it took: neither an earlier run's images
      // nor refused or pending inputs make a run look faster than it was.
      imagesPerSecond: processing > 0 ? Math.round((c.processed / processing) * 100) / 100 : 0,
    };
    const tail = JSON.stringify(summary, null, 2).replaceAll('\n', '\n  ');
    this.#out.end(`${this.#first ? '' : '\n  '}],\n  "summary": ${tail}\n}\n`);
    await once(this.#out, 'close');
    if (this.#failed) throw this.#failed;
    return { summary, notDone: this.#notDone, renditions: this.#renditions };
  }
}
