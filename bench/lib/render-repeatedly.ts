/**
 * Child process of the hostile-set benchmark: renders one file `passes` times with the default
 * config and prints the slowest pass and this process's peak resident memory, as JSON. One
 * process per file, so each file's peak memory is its own.
 */
import { readFileSync } from 'node:fs';
import { peakRssBytes } from '../../cli/peak-rss.ts';
import { defaultConfig } from '../../lib/config/parse.ts';
import { ImageRejectedError } from '../../lib/imaging/errors.ts';
import { renderImage } from '../../lib/imaging/render.ts';

const [file, passesArg] = process.argv.slice(2);
if (!file) throw new Error('usage: render-repeatedly.ts FILE [PASSES]');
const passes = Number(passesArg ?? 10);
const config = defaultConfig();
const input = readFileSync(file);
let slowestMs = 0;
let outcome = '';
for (let i = 0; i < passes; i++) {
  const started = performance.now();
  try {
    await renderImage(input, config);
    outcome = 'DONE';
  } catch (error) {
    if (!(error instanceof ImageRejectedError)) throw error;
    outcome = `REJECTED ${error.reason}`;
  }
  slowestMs = Math.max(slowestMs, performance.now() - started);
}
process.stdout.write(
  `${JSON.stringify({ outcome, slowestMs, peakRssMb: peakRssBytes() / 2 ** 20, passes })}\n`,
);
