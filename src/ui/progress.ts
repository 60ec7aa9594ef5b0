import cliProgress from 'cli-progress';
import type { Output } from './output.js';

export interface Progress {
  update(done: number, total?: number, note?: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal; otherwise a line at most every few seconds
 * (so CI logs show movement without flooding) and the last state when it stops, if that was not
 * shown yet; nothing at all with --json/--quiet. A note (what the last observation said) follows
 * the label and the count after a dash, so the two never read as one sentence.
 */
export function createProgress(out: Output, label: string, opts: { total?: number; unit?: string } = {}): Progress {
  if (out.quiet) return { update: () => undefined, stop: () => undefined };
  const unit = opts.unit ? ` ${opts.unit}` : '';
  const noted = (note: string | undefined) => (note ? ` — ${note}` : '');
  if (out.interactive) {
    // Without a known total a bar would lie; show a counter line with the elapsed time instead.
    const format = opts.total === undefined ? `${label}{note} ({duration_formatted})` : `${label} [{bar}] {value}/{total}${unit}{note}`;
    const bar = new cliProgress.SingleBar(
      {
        format,
        hideCursor: true,
        stream: out.stderr,
        noTTYOutput: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(opts.total ?? 0, 0, { note: '' });
    return {
      update: (done, total, note) => {
        if (total !== undefined) bar.setTotal(total);
        bar.update(done, { note: noted(note) });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let total = opts.total;
  let unshown: string | undefined;
  return {
    update: (done, t, note) => {
      if (t !== undefined) total = t;
      const line = total ? `${label} ${done}/${total}${unit}${noted(note)}` : `${label}${noted(note ?? String(done))}`;
      const now = Date.now();
      if (now - last < 5000) {
        unshown = line;
        return;
      }
      last = now;
      unshown = undefined;
      out.info(line);
    },
    stop: () => {
      if (unshown !== undefined) out.info(unshown);
      unshown = undefined;
    },
  };
}

export interface ReadProgress {
  /** `count` records read so far from `source` (one of the names given at creation). */
  update(source: string, count: number): void;
  stop(): void;
}

/**
 * One line per source read concurrently, each with its count and rate, on a terminal only: off a
 * terminal (CI, cron, a pipe) the reads are silent and the summary that follows says it all.
 */
export function createReadProgress(out: Output, sources: readonly string[], unit = 'users'): ReadProgress {
  if (out.quiet || !out.interactive) return { update: () => undefined, stop: () => undefined };
  const width = Math.max(...sources.map((s) => s.length));
  const multi = new cliProgress.MultiBar(
    { format: '{source} {count} {unit} · {rate}/s', hideCursor: true, stream: out.stderr, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  const bars = new Map<string, cliProgress.SingleBar>();
  for (const source of sources) {
    bars.set(source, multi.create(0, 0, { source: source.padEnd(width), count: '0', unit, rate: '0' }));
  }
  return {
    update: (source, count) => {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bars.get(source)?.update(count, { count: count.toLocaleString('en-US'), rate: Math.round(count / seconds).toLocaleString('en-US') });
    },
    stop: () => multi.stop(),
  };
}
