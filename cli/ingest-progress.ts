/**
 * The ingest progress line on a terminal (stderr): files, bytes, rates and, when the sources'
 * sizes are known (files and archives), the share done and an ETA. Off a terminal: nothing.
 */
import { basename } from 'node:path';
import type { IngestProgress } from '../lib/ingest/ingest.ts';
import { displayName } from '../lib/ingest/sources/entry-names.ts';
import { age } from './format.ts';
import { writeControl } from './output.ts';

export function createIngestProgress(stream: NodeJS.WriteStream = process.stderr) {
  const enabled = stream.isTTY === true;
  const started = Date.now();
  let last = 0;
  let drawn = false;
  return {
    update(p: IngestProgress) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const seconds = Math.max(0.001, (now - started) / 1000);
      const parts = [
        displayName(basename(p.source) || p.source),
        `${p.files.toLocaleString('en-US')} files`,
        `${(p.bytes / 1e6).toFixed(1)} MB`,
        `${(p.bytes / 1e6 / seconds).toFixed(1)} MB/s`,
        `${Math.round(p.files / seconds)} files/s`,
      ];
      if (p.sourceBytesTotal > 0) {
        const share = Math.min(1, p.sourceBytesRead / p.sourceBytesTotal);
        parts.splice(1, 0, `${Math.floor(share * 100)}%`);
        if (share > 0.01) parts.push(`ETA ${age((seconds / share) * (1 - share))}`);
      }
      if (p.enqueued > 0) parts.push(`${p.enqueued.toLocaleString('en-US')} queued`);
      if (p.refused > 0) parts.push(`${p.refused} refused`);
      if (p.failed > 0) parts.push(`${p.failed} failed`);
      writeControl(stream, `\r\x1b[2KIngesting ${parts.join(' · ')}`);
      drawn = true;
    },
    /** Clears the line, so the summary starts on a clean one. */
    done() {
      if (drawn) writeControl(stream, '\r\x1b[2K');
      drawn = false;
    },
  };
}
