/**
 * The pixel pool with real child processes (workers/pixel-child.ts) and real sharp: what it
 * renders equals the engine in-process; the timeout is the image's own CPU time and really stops
 * the work; the memory cap kills the process; waiting is never charged; a dead or starved process
 * fails its image transiently and is replaced.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { ImageRejectedError, PixelPoolError } from '../../lib/imaging/errors.ts';
import { PixelPool } from '../../lib/imaging/pool/pixel-pool.ts';
import type { PixelPoolOptions } from '../../lib/imaging/pool/pool-types.ts';
import { renderImage } from '../../lib/imaging/render.ts';
import { fixture, photoPixels } from '../fixtures/catalogue.ts';

const CHILD = new URL('../../workers/pixel-child.ts', import.meta.url);

function pool(t: { after(fn: () => Promise<void>): void }, options: Partial<PixelPoolOptions>) {
  const pids: number[] = [];
  const p = new PixelPool({
    config: defaultConfig(),
    childModule: CHILD,
    size: 1,
    ...options,
    onEvent: (event) => {
      if (event.kind === 'started') pids.push(event.pid);
    },
  });
  t.after(() => p.close());
  return { pool: p, pids };
}

let slowInput: Promise<Buffer> | undefined;
/** A 3000 × 2000 photo-like JPEG: its AVIF at effort 9 takes two minutes of CPU. */
function slowToEncode(): Promise<Buffer> {
  slowInput ??= sharp(photoPixels(3000, 2000, 3), {
    raw: { width: 3000, height: 2000, channels: 3 },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
  return slowInput;
}

const slowConfig = (limits: Record<string, number>) =>
  parseConfig(
    {
      presets: [
        { name: 'full', width: 3000, formats: [{ format: 'avif', effort: 9, quality: 80 }] },
      ],
      limits,
    },
    'test',
  );

/** One preset `name`, a WebP `width` pixels wide, under `limits`. */
const webpConfig = (name: string, width: number, limits: Record<string, number>) =>
  parseConfig({ presets: [{ name, width, formats: [{ format: 'webp' }] }], limits }, 'test');

const small = () =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } })
    .png()
    .toBuffer();

/**
 * Starts a slow render on a pool whose one process is up, sends that process `signal` `afterMs`
 * later, and asserts the render fails with the transient `code`. Returns the pool and its pids.
 */
async function signalMidRender(
  t: { after(fn: () => Promise<void>): void },
  timeoutSeconds: number,
  signal: NodeJS.Signals,
  afterMs: number,
  code: string,
) {
  const made = pool(t, { config: slowConfig({ timeoutSeconds }) });
  await made.pool.render(await small());
  const rendering = made.pool.render(await slowToEncode());
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const pid = made.pids[0];
  assert.ok(pid !== undefined);
  process.kill(pid, signal);
  await assert.rejects(rendering, (error) => {
    assert.ok(error instanceof PixelPoolError, String(error));
    assert.equal(error.code, code);
    return true;
  });
  return made;
}

/** Whether a process has exited (a zombie not yet reaped still answers signal 0: wait a bit). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('the pixel pool', () => {
  it('renders in a child exactly what the engine renders in-process', async (t) => {
    const { pool: p } = pool(t, { size: 2 });
    const input = await fixture('landscape-photo.jpg').build();
    const [inChild, inProcess] = await Promise.all([
      p.render(input, { extension: 'jpg' }),
      renderImage(input, defaultConfig(), { extension: 'jpg' }),
    ]);
    assert.deepEqual(inChild.analysis, inProcess.analysis);
    assert.equal(inChild.renditions.length, 6);
    for (const [i, r] of inChild.renditions.entries()) {
      const same = inProcess.renditions[i];
      assert.ok(same && Buffer.isBuffer(r.data));
      assert.deepEqual({ ...r, data: undefined }, { ...same, data: undefined });
      assert.ok(r.data.equals(same.data), `${r.presetName}.${r.format} bytes differ`);
    }
  });

  it("reports the image's own verdict as an ImageRejectedError", async (t) => {
    const { pool: p } = pool(t, {});
    await assert.rejects(p.render(Buffer.from('not an image')), {
      name: 'ImageRejectedError',
      reason: 'unrecognised-format',
    });
  });

  it('stops an image at its CPU budget, kills the work, and goes on with the next', async (t) => {
    const { pool: p, pids } = pool(t, { config: slowConfig({ timeoutSeconds: 1 }) });
    await p.render(await small()); // the process is up: what is timed is the image's work
    const slow = await slowToEncode();
    await assert.rejects(p.render(slow), (error) => {
      assert.ok(error instanceof ImageRejectedError);
      assert.equal(error.reason, 'timeout');
      // Stopped within a few meter samples of its budget, counted in CPU time (not in wall time,
      // which a loaded machine stretches): the image's process used 1.0–1.5 CPU seconds.
      const used = /used (\d+\.\d\d) CPU seconds, over the 1 s per-image limit/.exec(error.message);
      assert.ok(used?.[1], error.message);
      assert.ok(Number(used[1]) >= 1 && Number(used[1]) < 1.5, error.message);
      return true;
    });
    // The process doing it is gone, not decoding on in the background.
    const killed = pids[0];
    assert.ok(killed !== undefined);
    assert.ok(await gone(killed), `process ${killed} still runs`);
    const next = await p.render(await small());
    assert.equal(next.renditions.length, 1);
    assert.equal(p.stats.killed.timeout, 1);
  });

  it('drops an abandoned image from the queue, and kills its process if it is rendering', async (t) => {
    // The invocation's deadline gives up on its records: their work must stop with them, not
    // hold the process an image of the next invocation needs.
    const { pool: p, pids } = pool(t, { config: slowConfig({ timeoutSeconds: 60 }) });
    await p.render(await small()); // the process is up
    const slow = await slowToEncode();
    const rendering = new AbortController();
    const queued = new AbortController();
    const first = p.render(slow, undefined, rendering.signal);
    const second = p.render(slow, undefined, queued.signal);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const reason = new Error('the deadline');
    queued.abort(reason);
    await assert.rejects(second, (error) => error === reason);
    const started = performance.now();
    rendering.abort(reason);
    await assert.rejects(first, (error) => error === reason);
    const killed = pids[0];
    assert.ok(killed !== undefined);
    assert.ok(await gone(killed), `process ${killed} still renders the abandoned image`);
    assert.equal(p.stats.killed.abandoned, 1);
    // The next image gets a new process at once, not after the two minutes of AVIF encoding.
    assert.equal((await p.render(await small())).renditions.length, 1);
    assert.ok(performance.now() - started < 10_000);
    assert.equal(p.stats.rendered, 2);
    // Already abandoned: never queued.
    await assert.rejects(p.render(slow, undefined, AbortSignal.abort(reason)), (e) => e === reason);
  });

  it('never charges an image for the time it waited for a free process', async (t) => {
    // One process, a 1 s budget, eight images of a few tenths of a second each queued at once:
    // the last ones wait longer than the budget, yet each is charged only its own work.
    const config = webpConfig('w', 1600, { timeoutSeconds: 1 });
    const { pool: p } = pool(t, { config });
    const input = await slowToEncode();
    await p.render(await small()); // the process is up
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => p.render(input)));
    const seconds = (performance.now() - started) / 1000;
    assert.equal(results.length, 8);
    assert.ok(seconds > 1.5, `eight images took ${seconds.toFixed(1)} s: the test proves nothing`);
  });

  it('kills an image past its memory cap: memory-limit', async (t) => {
    const config = webpConfig('full', 6000, { maxMemoryMb: 256 });
    const { pool: p } = pool(t, { config });
    // 6000 × 4000 RGB is 72 MB decoded, held while a 6000-px WebP is made of it: past 256 MiB
    // with Node's own ~80 MiB.
    const big = await sharp({
      create: { width: 6000, height: 4000, channels: 3, background: '#468' },
    })
      .png()
      .toBuffer();
    await assert.rejects(p.render(big), (error) => {
      assert.ok(error instanceof ImageRejectedError);
      assert.equal(error.reason, 'memory-limit');
      assert.match(error.message, /needed \d+ MiB, over the 256 MiB per-image memory limit/);
      return true;
    });
    assert.equal(p.stats.killed['memory-limit'], 1);
  });

  it('fails an image transiently when its process dies, and replaces the process', async (t) => {
    // SIGKILL, as the kernel's OOM killer would.
    const { pool: p, pids } = await signalMidRender(t, 30, 'SIGKILL', 300, 'pixel-worker-crashed');
    assert.equal((await p.render(await small())).renditions.length, 1);
    assert.equal(p.stats.crashed, 1);
    assert.equal(pids.length, 2, 'a replacement started');
  });

  it('fails a starved image transiently instead of rejecting it', async (t) => {
    // A process that gets no CPU at all (stopped, as under a neighbour's overload) passes its
    // wall-clock guard (3 × 1 s + 5 s) without using its CPU budget: retried, not REJECTED.
    const { pool: p } = await signalMidRender(t, 1, 'SIGSTOP', 100, 'pixel-worker-starved');
    assert.equal(p.stats.killed.starved, 1);
  });

  it('falls back to wall-clock time where there is no per-process accounting', async (t) => {
    const { pool: p } = pool(t, { config: slowConfig({ timeoutSeconds: 1 }), meter: null });
    await assert.rejects(p.render(await slowToEncode()), (error) => {
      assert.ok(error instanceof ImageRejectedError);
      assert.equal(error.reason, 'timeout');
      assert.match(error.message, /wall-clock time/);
      return true;
    });
  });

  it('refuses work once closed', async (t) => {
    const { pool: p } = pool(t, {});
    await p.close();
    await assert.rejects(p.render(Buffer.from('x')), { code: 'pixel-pool-closed' });
  });
});
