/**
 * Writing to stdout/stderr so that nothing is lost when the process exits right after. Every
 * path out of the CLI goes through here: human text with no control a terminal would obey
 * (`printableLines`; names and messages are also escaped with `printable` where they are put in
 * a line, so one cannot forge a line of its own), JSON spelled so its bytes hold none either
 * (`printableJson`), and our own control sequences (progress redraws) only through
 * `writeControl`.
 */
import { printableJson, printableLines } from '../lib/ops/printable.ts';

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** Human text to stdout. */
export function writeOut(text: string): Promise<void> {
  return write(process.stdout, printableLines(text));
}

/** Human text to stderr. */
export function writeErr(text: string): Promise<void> {
  return write(process.stderr, printableLines(text));
}

/** A value as JSON on stdout, followed by a newline: indented unless `compact` (one per line). */
export function writeJson(value: unknown, options: { compact?: boolean } = {}): Promise<void> {
  const json = options.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2);
  return write(process.stdout, `${printableJson(json)}\n`);
}

/**
 * Our own terminal control sequences (clearing a line, redrawing a screen), with text that has
 * already been through `printable`: the only way an ESC byte leaves the CLI.
 */
export function writeControl(stream: NodeJS.WriteStream, sequence: string): boolean {
  return stream.write(sequence);
}
