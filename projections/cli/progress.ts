import { count, duration } from './format.js';

/** What a long step has done and what it still has to do, in events. */
export interface ProgressSample {
  done: number;
  remaining: number;
  /** Shown after the counts, e.g. how many projects so far. */
  note?: string;
}

export interface ProgressOptions {
  /** What is done to the events: "applied", "read". */
  verb?: string;
  /** What is counted: "events" unless told. */
  unit?: string;
  /** Without a terminal, a line at most this often. */
  lineEveryMs?: number;
  /** How far back the rate looks: recent enough to follow a change of pace. */
  rateWindowMs?: number;
  now?: () => number;
}

interface Point {
  at: number;
  done: number;
}

/**
 * A progress bar redrawn in place on a terminal (events done, events/s, ETA from what remains),
 * or, when the stream is a pipe or a file, a plain line every few seconds.
 */
export class Progress {
  private readonly points: Point[] = [];
  private lastLineAt = -Infinity;
  private drawn = false;
  private readonly verb: string;
  private readonly unit: string;
  private readonly lineEveryMs: number;
  private readonly rateWindowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.verb = options.verb ?? 'applied';
    this.unit = options.unit ?? 'events';
    this.lineEveryMs = options.lineEveryMs ?? 5_000;
    this.rateWindowMs = options.rateWindowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  update(sample: ProgressSample): void {
    const at = this.now();
    this.points.push({ at, done: sample.done });
    while (this.points.length > 2 && at - (this.points[1]?.at ?? at) >= this.rateWindowMs)
      this.points.shift();
    if (this.stream.isTTY) {
      this.stream.write(`\r${this.bar(sample)}\x1b[K`);
      this.drawn = true;
    } else if (at - this.lastLineAt >= this.lineEveryMs) {
      this.lastLineAt = at;
      this.stream.write(`${this.line(sample)}\n`);
    }
  }

  /** Writes a line of its own without tearing the bar. */
  log(message: string): void {
    this.clear();
    this.stream.write(`${message}\n`);
  }

  /** Removes the bar, leaving the terminal as it was. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  /** Events per second over the recent window; undefined until there is a span to measure. */
  rate(): number | undefined {
    const first = this.points[0];
    const last = this.points.at(-1);
    if (!first || !last || last.at - first.at < 500) return undefined;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }

  line(sample: ProgressSample): string {
    return `${this.label}: ${count(sample.done)} ${this.unit} ${this.verb}, ${count(sample.remaining)} to go${this.noteOf(sample)}, ${this.pace(sample)}`;
  }

  bar(sample: ProgressSample): string {
    const total = sample.done + sample.remaining;
    const fraction = total === 0 ? 1 : sample.done / total;
    const text = `${String(Math.floor(fraction * 100)).padStart(3)}%  ${count(sample.done)} ${this.unit}${this.noteOf(sample)}  ${this.pace(sample)}`;
    const width = Math.max(
      10,
      Math.min(40, (this.stream.columns ?? 80) - this.label.length - text.length - 6),
    );
    const filled = Math.round(fraction * width);
    return `${this.label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${text}`;
  }

  private noteOf(sample: ProgressSample): string {
    return sample.note === undefined ? '' : `, ${sample.note}`;
  }

  private pace(sample: ProgressSample): string {
    const rate = this.rate();
    if (rate === undefined) return `-- ${this.unit}/s, ETA --`;
    const eta = sample.remaining === 0 ? 0 : rate > 0 ? (sample.remaining / rate) * 1000 : Infinity;
    return `${count(Math.round(rate))} ${this.unit}/s, ETA ${duration(eta)}`;
  }
}
