/**
 * The images failing transiently right now, from the rows a process's workers report (the
 * handler's `onSettled`, which is told RETRYING rows too): what a run's progress line shows as
 * "N retrying (last error CODE)", so a run whose images retry does not read "0 failed" and
 * nothing else. Holds one entry per image between its failure and its outcome: a handful.
 */
import type { ImageRow } from '../../events/image-row.ts';
import { rowId } from '../aws/image-table.ts';

export class RetryingImages {
  readonly #codes = new Map<string, string>();
  #lastCode: string | undefined;

  /** A row as a worker wrote it: RETRYING adds the image, any other status removes it. */
  note(row: ImageRow): void {
    const id = rowId(row);
    if (row.status === 'RETRYING') {
      const code = row.lastError?.code ?? 'unknown';
      this.#codes.set(id, code);
      this.#lastCode = code;
    } else if (row.status !== 'PROCESSING') this.#codes.delete(id);
  }

  get now(): { readonly retrying: number; readonly lastCode?: string | undefined } {
    return { retrying: this.#codes.size, lastCode: this.#lastCode };
  }
}
