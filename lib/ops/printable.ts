/**
 * Untrusted text on a terminal. A file name, an S3 key, a message read from a table row or a
 * dead letter can hold bytes a terminal obeys: ESC starts CSI and OSC sequences (erase a line,
 * set the window title, write the clipboard with OSC 52), BEL ends them, C1 controls (U+0080–
 * U+009F) are the same sequences in one character for terminals that honour them, CR and LF
 * forge lines, and bidirectional controls reorder what is shown (`gpj.exe` shown as `exe.jpg`).
 * `printable` is the one escape the CLI applies to every such text it prints;
 * `printableJson` does the same for JSON, where it only changes how a value is spelled.
 */

// \p{Cc} is exactly C0 (TAB, LF and CR included), DEL and C1; then ALM, LRM, RLM, LRE…RLO,
// LRI…PDI, and the line and paragraph separators (newlines to some terminals and editors).
const UNPRINTABLE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;

/**
 * The text with every control, bidirectional control and line separator written as a visible
 * `\u{…}` escape: nothing in the result can act on a terminal or break a line. Idempotent (an
 * escape is plain text), so text escaped twice reads the same.
 */
export function printable(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`,
  );
}

/**
 * Text made of our own lines around untrusted values: each line through `printable`, the line
 * breaks kept. The last defence for whatever a command prints; values that could hold a line
 * break of their own are escaped with `printable` where they are put in a line.
 */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

// What JSON.stringify leaves raw and a terminal may act on: DEL, C1, bidirectional controls,
// U+2028/U+2029. (It escapes C0 itself.) Outside strings JSON is ASCII, so every match is inside
// a string, where a \uXXXX escape stands for the same character.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

/**
 * JSON text whose bytes hold no control a terminal obeys, and that parses to the same value:
 * the characters JSON.stringify leaves raw are written as `\uXXXX` escapes.
 */
export function printableJson(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
