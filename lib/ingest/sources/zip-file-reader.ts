/**
 * yauzl's random access to a zip file, with read-ahead windows. yauzl reads the central
 * directory one record at a time (a 46-byte header, then the name), and each entry's local header
 * the same way, one `fs.read` each through the thread pool; with a few 64 KiB windows (one ends up
 * on the central directory, one on the entries being read) most of those are copies instead, which
 * takes a million-entry directory from about a minute of waiting to seconds. Entry data is read as
 * streams over the same descriptor, positionally, so several may be open at once. The descriptor
 * is closed when yauzl lets go of the reader (after `zipfile.close()` and every stream ending).
 */
import { close, read } from 'node:fs';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';

const WINDOW_BYTES = 64 * 1024;
const WINDOWS = 4;

type ReadCallback = (error: Error | null, bytesRead?: number) => void;

export class WindowedFileReader extends yauzl.RandomAccessReader {
  readonly #fd: number;
  /** Most recently used first. */
  #windows: { start: number; bytes: Buffer }[] = [];

  constructor(fd: number) {
    super();
    this.#fd = fd;
  }

  /** yauzl calls back with the number of bytes read (its typings leave that argument out). */
  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null) => void,
  ): void {
    const done = callback as ReadCallback;
    const hit = this.#windows.findIndex(
      (w) => position >= w.start && position + length <= w.start + w.bytes.byteLength,
    );
    const window = this.#windows[hit];
    if (window) {
      if (hit > 0) this.#windows.unshift(...this.#windows.splice(hit, 1));
      const from = position - window.start;
      window.bytes.copy(buffer, offset, from, from + length);
      process.nextTick(done, null, length);
      return;
    }
    if (length >= WINDOW_BYTES) {
      read(this.#fd, buffer, offset, length, position, done);
      return;
    }
    const bytes = Buffer.allocUnsafe(WINDOW_BYTES);
    read(this.#fd, bytes, 0, WINDOW_BYTES, position, (error, bytesRead) => {
      if (error) return done(error);
      this.#windows.unshift({ start: position, bytes: bytes.subarray(0, bytesRead) });
      this.#windows.length = Math.min(this.#windows.length, WINDOWS);
      const copied = Math.min(length, bytesRead);
      bytes.copy(buffer, offset, 0, copied);
      done(null, copied);
    });
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return new RangeStream(this, start, end);
  }

  override close(callback: (error: Error | null) => void): void {
    close(this.#fd, callback);
  }
}

/**
 * Bytes [start, end) of the file, read positionally through the reader's window (small entries
 * stored side by side are served from one read). Not an `fs.ReadStream`: destroying one of those
 * closes its descriptor, which every other entry of the archive shares.
 */
class RangeStream extends Readable {
  readonly #reader: WindowedFileReader;
  readonly #end: number;
  #position: number;

  constructor(reader: WindowedFileReader, start: number, end: number) {
    super({ highWaterMark: WINDOW_BYTES });
    this.#reader = reader;
    this.#position = start;
    this.#end = end;
  }

  override _read(size: number): void {
    const length = Math.min(size, this.#end - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafe(length);
    const done: ReadCallback = (error, bytesRead = 0) => {
      if (error) return this.destroy(error);
      if (bytesRead === 0) return this.destroy(new Error('unexpected end of file'));
      this.#position += bytesRead;
      this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
    };
    this.#reader.read(buffer, 0, length, this.#position, done);
  }
}
