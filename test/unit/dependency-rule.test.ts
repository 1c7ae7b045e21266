/**
 * DESIGN.md's one dependency rule, enforced on every import of every source file:
 * events ← lib ← {workers, cli, infra/local}; infra/cdk imports events and infra/topology.ts only;
 * the AWS SDK only in lib/aws; no environment variables read in events/ or lib/. Inside lib/, the
 * operator jobs sit above the engine: ops/ (the operator core: DLQ, redrive, audit, status, and
 * the errors and context the jobs share), ingest/, report/ and run/ import the engine (aws/,
 * imaging/, config/, async/) and never the other way round. Fault injection lives on the CLI and
 * test side (cli/fault-injection.ts, cli/test-faults.ts), wired in through hooks, never imported
 * by what the Lambda functions run.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_DIRS = ['events', 'lib', 'workers', 'cli', 'infra'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

interface Import {
  readonly file: string;
  readonly specifier: string;
  /** Repository-relative target for relative imports. */
  readonly target?: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: Import[] = [];
  const pattern =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? '';
    const target = specifier.startsWith('.')
      ? relative(ROOT, resolve(ROOT, dirname(file), specifier))
      : undefined;
    found.push({ file, specifier, ...(target ? { target } : {}) });
  }
  return found;
}

const all = SOURCE_DIRS.flatMap(sourceFiles).flatMap(importsOf);

function layerOf(path: string): string {
  if (path === 'infra/topology.ts') return 'topology';
  if (path.startsWith('infra/cdk/')) return 'infra/cdk';
  if (path.startsWith('infra/local/')) return 'infra/local';
  return path.split('/')[0] ?? path;
}

/** Which layers each layer may import (itself always allowed). */
const allowed: Record<string, readonly string[]> = {
  events: [],
  lib: ['events'],
  workers: ['events', 'lib'],
  'infra/local': ['events', 'lib', 'topology'],
  topology: ['events'],
  'infra/cdk': ['events', 'topology'],
  cli: ['events', 'lib', 'workers', 'infra/local', 'topology'],
  package: [],
};

/** The module of a file under lib/ (`lib/ingest/sources/zip.ts` → `ingest`). */
function libModuleOf(path: string): string | undefined {
  return path.startsWith('lib/') ? path.split('/')[1] : undefined;
}

/** The operator jobs inside lib/, and which other lib modules each may import. */
const operatorJobs: Record<string, readonly string[]> = {
  ops: ['aws', 'config', 'async'],
  ingest: ['ops', 'aws', 'config', 'imaging', 'async'],
  report: ['ops', 'aws', 'imaging', 'async', 'duplicates'],
  duplicates: ['ops', 'aws', 'async'],
  run: ['ops', 'ingest', 'report', 'aws', 'config', 'imaging', 'async'],
};
/** Shared plumbing that imports no other lib module. */
const leafModules = ['async'];

describe('the dependency rule', () => {
  it('finds the imports it checks', () => {
    assert.ok(all.length > 100, `only ${all.length} imports found: is the scanner broken?`);
    assert.ok(all.some((i) => i.file.startsWith('cli/') && i.target === 'infra/local/cloud.ts'));
    // One config contract: synth and the worker validate with the same schema, in events/.
    assert.ok(
      all.some((i) => i.file.startsWith('infra/cdk/') && i.target === 'events/config/schema.ts'),
    );
    assert.ok(all.some((i) => i.file.startsWith('lib/') && i.target === 'events/config/schema.ts'));
  });

  it('lets each layer import only the layers below it', () => {
    const violations = all
      .filter((i) => i.target !== undefined)
      .filter((i) => {
        const from = layerOf(i.file);
        const to = layerOf(i.target ?? '');
        return from !== to && !(allowed[from] ?? []).includes(to);
      })
      .map((i) => `${i.file} imports ${i.specifier}`);
    assert.deepEqual(violations, []);
  });

  it('keeps the operator jobs in lib/ above the engine, each importing only what it lists', () => {
    const violations = all
      .filter((i) => i.target?.startsWith('lib/') && i.file.startsWith('lib/'))
      .filter((i) => {
        const from = libModuleOf(i.file) ?? '';
        const to = libModuleOf(i.target ?? '') ?? '';
        if (from === to) return false;
        if (leafModules.includes(from)) return true;
        const mayImport = operatorJobs[from];
        // The engine's own modules never reach up into an operator job.
        if (mayImport === undefined) return to in operatorJobs;
        return !mayImport.includes(to);
      })
      .map((i) => `${i.file} imports ${i.specifier}`);
    assert.deepEqual(violations, []);
  });

  it('keeps fault injection out of what the Lambda functions run', () => {
    const importers = all.filter((i) => /(fault-injection|test-faults)\.ts$/.test(i.target ?? ''));
    assert.ok(importers.length > 0, 'the scanner sees who imports the fault injection');
    assert.deepEqual(
      importers
        .filter((i) => !i.file.startsWith('cli/'))
        .map((i) => `${i.file} imports ${i.specifier}`),
      [],
    );
  });

  it('calls the AWS SDK only from lib/aws', () => {
    const violations = all
      .filter((i) => i.specifier.startsWith('@aws-sdk/') && !i.file.startsWith('lib/aws/'))
      .map((i) => `${i.file} imports ${i.specifier}`);
    assert.deepEqual(violations, []);
  });

  it('keeps events/ free of any package but the schema library', () => {
    const violations = all
      .filter(
        (i) => i.file.startsWith('events/') && !i.target && !/^(node:|zod$)/.test(i.specifier),
      )
      .map((i) => `${i.file} imports ${i.specifier}`);
    assert.deepEqual(violations, []);
  });

  it('reads no environment variables in events/ or lib/', () => {
    const offenders = [...sourceFiles('events'), ...sourceFiles('lib')].filter((f) =>
      /process\.env/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('keeps aws-cdk-lib out of everything but infra/cdk', () => {
    const violations = all
      .filter(
        (i) =>
          /^(aws-cdk-lib|constructs|cdk-nag)/.test(i.specifier) && !i.file.startsWith('infra/cdk/'),
      )
      .map((i) => `${i.file} imports ${i.specifier}`);
    assert.deepEqual(violations, []);
  });
});
