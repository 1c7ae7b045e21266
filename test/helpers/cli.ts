/** Runs the real `pixelmill` CLI in a child process, on the same Node as the tests. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../../lib/run/manifest.ts';
import type { Fixture } from '../fixtures/catalogue.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(REPO_ROOT, 'bin', 'pixelmill');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function spawnCli(
  args: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string>> } = {},
): ChildProcess {
  // Through the launcher users run (its memory settings, the pinned Node).
  return spawn(LAUNCHER, [...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<CliResult> {
  return finished(spawnCli(args, options));
}

/** `pixelmill run INPUT --out OUT --state STATE --json`, which must exit 0: its manifest. */
export async function runManifest(input: string, out: string, state: string): Promise<Manifest> {
  const result = await runCli(['run', input, '--out', out, '--state', state, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Manifest;
}

/** Writes fixtures into a directory, under their catalogue names. */
export async function writeFixtures(dir: string, list: readonly Fixture[]): Promise<void> {
  for (const f of list) await writeFile(join(dir, f.name), await f.build());
}
