/**
 * A one-line progress display on a terminal (stderr), redrawn at most a few times a second.
 * Off a terminal it prints nothing: logs and pipes get the final summary only. It shows counts
 * and error codes only, never a name or a message, so its text needs little escaping (a code is
 * escaped all the same: it comes from a row).
 */
import { printable } from '../lib/ops/printable.ts';
import type { RunProgress } from '../lib/run/run-job.ts';
import { writeControl } from './output.ts';

const WIDTH = 28;

function bar(fraction: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Images failing transiently right now (this process's workers saw them), and the last why. */
export interface RetryingNow {
  readonly retrying: number;
  /** The code of the last transient error seen (`InternalError`, `pixel-worker-starved`, …). */
  readonly lastCode?: string | undefined;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true;
  const started = Date.now();
  let last = 0;
  let line = '';
  const draw = (text: string, force = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    line = text;
    writeControl(stream, `\r\x1b[2K${text}`);
  };
  return {
    update(progress: RunProgress, retry: RetryingNow = { retrying: 0 }) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      if (progress.phase === 'upload') {
        // Sources are read as they are uploaded, so there is no total yet: counts only.
        draw(
          `Uploading  ${progress.uploaded} · ${megabytes(progress.bytes)}` +
            `${progress.refused ? ` · ${progress.refused} refused` : ''}` +
            `${progress.failed ? ` · ${progress.failed} failed` : ''}`,
        );
      } else {
        // Renditions are copied into the output as each image settles: no separate phase. The
        // rate counts only images this run processed (not those an earlier run finished).
        const settled = progress.done + progress.rejected + progress.failed;
        const retrying =
          retry.retrying > 0
            ? ` · ${retry.retrying} retrying${retry.lastCode ? ` (last error ${printable(retry.lastCode)})` : ''}`
            : '';
        draw(
          `Processing ${bar(settled / Math.max(1, progress.total))} ${settled}/${progress.total} · ` +
            `${progress.done} done · ${progress.rejected} rejected · ${progress.failed} failed` +
            `${retrying} · ${(progress.processed / seconds).toFixed(1)} img/s`,
        );
      }
    },
    /** Clears the line, so the summary starts on a clean one. */
    done() {
      if (enabled && line) writeControl(stream, '\r\x1b[2K');
      line = '';
    },
  };
}
