/**
 * Runs the CLI where a directory can really be read-only: a mode of 0o555 stops any user but
 * root, so as root (CI containers) the CLI runs as `nobody` through util-linux's setpriv.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.ts';

const LAUNCHER = join(REPO_ROOT, 'bin', 'pixelmill');
const NOBODY = 65534;

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether `nobody` can reach and run the CLI (every directory above the checkout must let it in). */
function nobodyCanRun(): boolean {
  try {
    execFileSync(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', LAUNCHER, '--help'],
      { stdio: 'ignore', cwd: '/' },
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * A way to run the CLI that a 0o555 directory stops, or why there is none here (the test skips
 * with it). `dir`, the test's own directory, is opened to that user.
 */
export async function unprivilegedCli(
  dir: string,
): Promise<{ spawn: (args: readonly string[]) => ChildProcess } | { skip: string }> {
  const root = process.getuid?.() === 0;
  if (root && !hasSetpriv())
    return { skip: 'running as root without setpriv: nothing is read-only' };
  if (root && !nobodyCanRun())
    return {
      skip: `uid ${NOBODY} cannot run ${LAUNCHER} (the checkout is under a directory only root may enter, e.g. a clone in a 0700 mktemp directory)`,
    };
  if (root) await chmod(dir, 0o777);
  const env = { ...process.env, NO_COLOR: '1' };
  return {
    spawn: (args) =>
      root
        ? spawn(
            'setpriv',
            [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', LAUNCHER, ...args],
            { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
          )
        : spawn(LAUNCHER, [...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  };
}
