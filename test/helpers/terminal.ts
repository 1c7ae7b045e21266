/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), to see what a person at a terminal
 * sees: the progress line is drawn only there. Output is stdout and stderr as the terminal got
 * them, carriage returns and our control sequences included.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type CliResult, finished, REPO_ROOT } from './cli.ts';

const LAUNCHER = join(REPO_ROOT, 'bin', 'pixelmill');

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/** Why the CLI cannot be run on a terminal here (the test skips with it), or undefined. */
export function noTerminal(): string | undefined {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'no util-linux `script` to run the CLI on a pseudo-terminal';
  }
}

export function runCliOnTerminal(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  const command = [LAUNCHER, ...args].map(quote).join(' ');
  return finished(
    spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** The lines a terminal would have shown at some point: each redraw of a line is one entry. */
export function terminalLines(output: string): string[] {
  return (
    output
      // biome-ignore lint/suspicious/noControlCharactersInRegex: our own control sequences
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
      .split(/\r\n|\r|\n/)
      .filter((l) => l.trim() !== '')
  );
}
