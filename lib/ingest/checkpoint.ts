/**
 * The ingest checkpoint: what an interrupted `pixelmill ingest` had finished, so that `--resume`
 * skips it without reading it again. One small JSON file per ingest job (its sources, key prefix
 * and target), in the state directory, replaced atomically (write, then rename).
 *
 * Memory stays flat whatever the source's size: each source's items are numbered in its own
 * deterministic order, and the checkpoint keeps the highest index below which everything is
 * finished plus the few finished above it (uploads complete out of order, at most the
 * concurrency apart). An S3 backfill keeps the last key it enqueued.
 *
 * A source that changed since (size or modification time) is not resumed: its indexes would
 * name other entries.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../ops/errors.ts';

const sourceSchema = z.object({
  /** What the source was when the checkpoint was written (path, size, modification time). */
  identity: z.string(),
  /** Every item with an index up to this one is finished (-1: none). */
  doneThrough: z.int().min(-1),
  /** Finished items above doneThrough. */
  doneBeyond: z.array(z.int().min(0)),
  /** An S3 backfill: the last key enqueued, in listing order. */
  startAfter: z.string().optional(),
  finished: z.boolean(),
});

const fileSchema = z.object({
  version: z.literal(1),
  job: z.string(),
  description: z.string(),
  sources: z.record(z.string(), sourceSchema),
  updatedAt: z.string(),
  complete: z.boolean(),
});
type CheckpointFile = z.infer<typeof fileSchema>;
type SourceState = z.infer<typeof sourceSchema>;

/** A stable id for an ingest job: the same sources, prefix and target give the same file. */
export function ingestJobId(parts: {
  readonly target: string;
  readonly prefix: string;
  readonly sources: readonly string[];
}): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** One source's part of the checkpoint. */
export class SourceTracker {
  readonly #state: SourceState;
  readonly #beyond: Set<number>;
  readonly #changed: () => void;
  /** Items already finished when this run started (skipped). */
  readonly resumedFrom: { readonly doneThrough: number; readonly beyond: number };

  constructor(state: SourceState, changed: () => void) {
    this.#state = state;
    this.#beyond = new Set(state.doneBeyond);
    this.#changed = changed;
    this.resumedFrom = { doneThrough: state.doneThrough, beyond: state.doneBeyond.length };
  }

  get finished(): boolean {
    return this.#state.finished;
  }

  get startAfter(): string | undefined {
    return this.#state.startAfter;
  }

  isDone(index: number): boolean {
    return index <= this.#state.doneThrough || this.#beyond.has(index);
  }

  markDone(index: number): void {
    if (this.isDone(index)) return;
    this.#beyond.add(index);
    while (this.#beyond.delete(this.#state.doneThrough + 1)) this.#state.doneThrough++;
    this.#state.doneBeyond = [...this.#beyond];
    this.#changed();
  }

  markStartAfter(key: string): void {
    this.#state.startAfter = key;
    this.#changed();
  }

  finish(): void {
    this.#state.finished = true;
    this.#changed();
  }
}

export class IngestCheckpoint {
  readonly file: string;
  readonly resumed: boolean;
  /** An unfinished checkpoint of the same job was replaced (the run was not `--resume`d). */
  replacedUnfinished = false;
  readonly #data: CheckpointFile;
  #dirty = false;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, data: CheckpointFile, resumed: boolean) {
    this.file = file;
    this.#data = data;
    this.resumed = resumed;
  }

  /**
   * Opens the job's checkpoint. With `resume`, an existing one is continued (a missing one is
   * not an error: everything is still to do); without, any earlier one is replaced.
   */
  static async open(
    dir: string,
    job: string,
    options: { resume: boolean; description: string },
  ): Promise<IngestCheckpoint> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${job}.json`);
    if (options.resume) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        const parsed = fileSchema.safeParse(JSON.parse(text));
        if (!parsed.success) {
          throw new UsageError(
            `The checkpoint ${file} is not readable (${parsed.error.issues[0]?.message}); run without --resume to start over`,
          );
        }
        return new IngestCheckpoint(file, parsed.data, true);
      }
    }
    // Without --resume an earlier run's checkpoint is replaced; whether it was unfinished is
    // kept so the CLI can say that --resume would have skipped its work.
    const earlier = await readFile(file, 'utf8').catch(() => undefined);
    const earlierUnfinished =
      earlier !== undefined && fileSchema.safeParse(safeJson(earlier)).data?.complete === false;
    const fresh: CheckpointFile = {
      version: 1,
      job,
      description: options.description,
      sources: {},
      updatedAt: new Date().toISOString(),
      complete: false,
    };
    const checkpoint = new IngestCheckpoint(file, fresh, false);
    checkpoint.replacedUnfinished = earlierUnfinished;
    checkpoint.#dirty = true;
    await checkpoint.flush();
    return checkpoint;
  }

  get complete(): boolean {
    return this.#data.complete;
  }

  /** The tracker for one source; throws when resuming a source that changed since. */
  source(id: string, identity: string): SourceTracker {
    let state = this.#data.sources[id];
    if (state && state.identity !== identity) {
      throw new UsageError(
        `${id} changed since the interrupted ingest (was ${state.identity}, now ${identity}); run without --resume to start over`,
      );
    }
    if (!state) {
      state = { identity, doneThrough: -1, doneBeyond: [], finished: false };
      this.#data.sources[id] = state;
      this.#dirty = true;
    }
    return new SourceTracker(state, () => {
      this.#dirty = true;
    });
  }

  markComplete(): void {
    this.#data.complete = true;
    this.#dirty = true;
  }

  /** Writes the checkpoint if anything changed; writes never overlap. */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      this.#data.updatedAt = new Date().toISOString();
      const temporary = `${this.file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(this.#data));
      await rename(temporary, this.file);
    });
    return this.#writing;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
