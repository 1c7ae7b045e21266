#!/usr/bin/env node
/**
 * The `pixelmill` command. sharp runs its work on libuv's thread pool, as do file reads and
 * zlib; the default of four threads is sized before any module can use it, so set it here,
 * before the rest of the CLI is loaded.
 */
import { availableParallelism } from 'node:os';

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(8, 2 * availableParallelism()));
const { main } = await import('./dispatch.ts');
process.exit(await main(process.argv.slice(2)));
