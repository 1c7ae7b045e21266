/**
 * Failures of what the user named or of the machine are one line on stderr with exit 1 or 2,
 * never a stack trace: a read-only --out (found before anything is uploaded), a read-only
 * --state, dangling symbolic links given as paths, a port in use. A mistyped option gets the
 * option it was probably meant to be.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { photoLike } from '../fixtures/catalogue.ts';
import { type CliResult, finished, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { unprivilegedCli } from '../helpers/unprivileged.ts';

/** One line on stderr, no trace, exit 1 or 2; the line matches `line`. */
function assertOneLine(r: CliResult, line: RegExp, what: string): void {
  assert.ok(r.code === 1 || r.code === 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, `${what}: no stack trace`);
  assert.match(r.stderr, line, what);
}

async function inputs(dir: string): Promise<string> {
  const input = join(dir, 'in');
  await mkdir(input);
  await writeFile(join(input, 'a.jpg'), await photoLike(64, 48, 1));
  return input;
}

async function lockedCases(
  run: (args: readonly string[]) => Promise<CliResult>,
  input: string,
  locked: string,
  dir: string,
): Promise<void> {
  const state = join(dir, 'state');
  const missingOut = await run(['run', input, '--out', join(locked, 'new'), '--state', state]);
  assertOneLine(missingOut, /Cannot write to --out .*locked\/new: permission denied/, 'new --out');
  assert.equal(missingOut.code, 2);
  assert.ok(!existsSync(state), 'no cloud was started, nothing uploaded');
  const existingOut = await run(['run', input, '--out', join(locked, 'out'), '--state', state]);
  assertOneLine(existingOut, /Cannot write to --out .*locked\/out: permission denied/, '--out');
  assert.ok(!existsSync(state), 'no cloud was started, nothing uploaded');

  const lockedState = join(locked, 'state');
  const out = join(dir, 'out');
  // An operator command does not make a state directory: it says there is none.
  assertOneLine(
    await run(['status', '--state', lockedState]),
    /No pixelmill state in .*locked\/state/,
    'status --state',
  );
  for (const args of [
    ['run', input, '--out', out, '--state', lockedState],
    ['stack', 'up', '--state', lockedState],
  ]) {
    assertOneLine(
      await run(args),
      /Cannot write to --state .*locked\/state: permission denied/,
      args.join(' '),
    );
  }
}

describe('one-line errors', () => {
  it('a read-only --out or --state is one line, before anything is uploaded', {
    timeout: 60_000,
  }, async (t) => {
    const dir = await tempDir(t, 'readonly');
    const cli = await unprivilegedCli(dir);
    if ('skip' in cli) {
      t.skip(cli.skip);
      return;
    }
    const input = await inputs(dir);
    await chmod(input, 0o755);
    const locked = join(dir, 'locked');
    await mkdir(join(locked, 'out'), { recursive: true });
    await chmod(join(locked, 'out'), 0o555);
    await chmod(locked, 0o555);
    const run = async (args: readonly string[]) => finished(cli.spawn(args));
    try {
      await lockedCases(run, input, locked, dir);
    } finally {
      // Opened again so the directory can be removed (as any user but root).
      await chmod(locked, 0o755);
      await chmod(join(locked, 'out'), 0o755);
    }
  });

  it('dangling symbolic links given as an input, --out or --state are one line', {
    timeout: 60_000,
  }, async (t) => {
    const dir = await tempDir(t, 'dangling');
    const input = await inputs(dir);
    const nowhere = join(dir, 'nowhere');
    const link = join(dir, 'link');
    await symlink(nowhere, link);
    const state = join(dir, 'state');
    const out = join(dir, 'out');
    const cases: [string[], RegExp][] = [
      [['run', link, '--out', out, '--state', state], /Broken symbolic link: .*link/],
      [['ingest', link, '--state', state], /Broken symbolic link: .*link/],
      [
        ['run', input, '--out', link, '--state', state],
        /--out .*link is a symbolic link to .*nowhere, which does not exist/,
      ],
      [
        ['run', input, '--out', out, '--state', link],
        /--state .*link is a symbolic link to .*nowhere, which does not exist/,
      ],
      [
        ['status', '--state', link],
        /--state .*link is a symbolic link to .*nowhere, which does not exist/,
      ],
      [
        ['report', '--state', state, '--out', join(link, 'r.html')],
        /--out .*link\/r\.html: .*is a symbolic link to .*nowhere/,
      ],
    ];
    for (const [args, line] of cases) assertOneLine(await runCli(args), line, args.join(' '));
  });

  it('a port in use is one line, exit 1', { timeout: 60_000 }, async (t) => {
    const dir = await tempDir(t, 'port');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const address = taken.address();
    assert.ok(address && typeof address === 'object');
    const r = await runCli([
      'stack',
      'up',
      '--state',
      join(dir, 'state'),
      '--port',
      String(address.port),
    ]);
    assertOneLine(r, new RegExp(`Port ${address.port} is already in use`), 'stack up --port');
    assert.equal(r.code, 1);
  });

  it('a mistyped option or command gets a suggestion', async () => {
    const cases: [string[], string][] = [
      [
        ['run', 'x', '--out', 'y', '--concurency', '2'],
        'Unknown option --concurency; did you mean --concurrency?',
      ],
      [['status', '--wacth'], 'Unknown option --wacth; did you mean --watch?'],
      [['ingest', 'x', '--prefx', 'p'], 'Unknown option --prefx; did you mean --prefix?'],
      [['redrive', '--dryrun'], 'Unknown option --dryrun; did you mean --dry-run?'],
      [['stauts'], 'Unknown command "stauts"; did you mean status?'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(`pixelmill: ${message}`), r.stderr);
    }
  });
});
