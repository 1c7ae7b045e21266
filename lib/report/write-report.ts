/** Collects the report's data and writes the page: what `pixelmill report` and `run` share. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OperatorContext } from '../ops/operator-context.ts';
import { collectReportData } from './collect.ts';
import type { CollectOptions } from './collect-options.ts';
import { renderReport } from './html.ts';
import type { RowTally } from './row-tally.ts';

export const REPORT_FILE = 'report.html';

export async function writeReport(
  ctx: OperatorContext,
  file: string,
  options: CollectOptions,
  /** The rows, already counted (see collectReportData). */
  tallied?: RowTally,
): Promise<{ file: string; bytes: number; images: number }> {
  const data = await collectReportData(ctx, options, tallied);
  const page = renderReport(data);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, page);
  return { file, bytes: Buffer.byteLength(page), images: data.summary.total };
}
