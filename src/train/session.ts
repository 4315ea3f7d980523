/**
 * The shell of the SGD trainers (word2vec, fastText word vectors, the fastText
 * classifier), whose kernels make whole passes over ids: the same option checks,
 * `Progress` reports (a step is one input word), AbortSignal checks and host yields
 * as the batch loop, around a trainer's own passes.
 */
import { HostYield } from './abort.js';
import { checkShellOptions } from './options.js';
import { ProgressMeter, type Progress, type ProgressFields } from './progress.js';

/** The options of an SGD trainer's training call that the session handles. */
export interface SessionOptions {
  /** Called about every `intervalMs` of training and once at the end (`epochEnd` true). */
  onProgress?: (p: Progress) => void;
  /** Stops training early; see each trainer. */
  signal?: AbortSignal;
  threads?: number;
}

export class TrainingSession {
  readonly signal: AbortSignal | undefined;
  readonly threads: number;
  readonly host: HostYield;
  private meter: ProgressMeter | undefined;

  /** Checks the options (`prefix`: how errors name them); threads > 1 need a worker pool that large. */
  constructor(
    fn: string,
    private readonly options: SessionOptions,
    prefix: '' | 'options.' = '',
    readonly intervalMs = 100,
  ) {
    this.threads = checkShellOptions(fn, options, prefix, true);
    this.signal = options.signal;
    this.host = HostYield.forTraining(this.signal, false, Infinity);
  }

  /** Start the clock: `steps` words in all over `epochs`. */
  start(run: { epochs: number; steps: number }): void {
    this.meter = new ProgressMeter(
      this.options.onProgress,
      { ...run, unit: 'words', threads: this.threads },
      this.intervalMs,
    );
  }

  /** Whether a listener is set. */
  get reporting(): boolean {
    return this.options.onProgress !== undefined;
  }

  get aborted(): boolean {
    return this.signal !== undefined && this.signal.aborted;
  }

  /** Between steps with a signal: yield to the host when due; true when the signal aborted. */
  async stopRequested(): Promise<boolean> {
    if (this.signal === undefined) return false;
    await this.host.maybe();
    return this.signal.aborted;
  }

  /** Seconds since start(). */
  elapsedSec(): number {
    return this.meter?.elapsedSec() ?? 0;
  }

  /** Report when `intervalMs` passed (or always with `force`); `fields()` builds the report, `items` = words processed so far. */
  report(force: boolean, items: number, fields: () => ProgressFields): void {
    const m = this.meter;
    if (m === undefined || !m.active) return;
    if (!force && !m.due()) return;
    m.items = items;
    m.stepsHere = items;
    m.emit(force ? { epochEnd: true, ...fields() } : fields());
  }

  close(): void {
    this.host.close();
  }
}
