import { Presets, SingleBar } from 'cli-progress';

// Progress of a long CLI operation on stderr (stdout stays for the result, one JSON object with --json): a
// bar on a terminal, and otherwise plain lines (logs, CI, pipes): one at every tenth of the way, at most
// one per `minIntervalMs`, always the last.

export interface Progress {
  /** Sets the amount done (and the total, when it became known or changed). */
  update(done: number, total?: number): void;
  increment(by?: number): void;
  /** Ends the bar; prints the final line when not on a terminal. */
  stop(): void;
}

export function progress(
  label: string,
  total: number,
  opts: { stream?: NodeJS.WriteStream; tty?: boolean; minIntervalMs?: number } = {},
): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? stream.isTTY === true;
  let done = 0;
  if (tty) {
    const bar = new SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} (eta {eta_formatted})`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return {
      update(d, t) {
        done = d;
        if (t !== undefined) bar.setTotal(t);
        bar.update(d);
      },
      increment(by = 1) {
        done += by;
        bar.update(done);
      },
      stop() {
        bar.stop();
      },
    };
  }
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const started = Date.now();
  let lastLine = 0;
  let lastTenth = -1;
  let printedDone = -1;
  let stopped = false;
  const line = () => {
    printedDone = done;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`${label}: ${done}/${total} (${pct}%) ${secs}s\n`);
    lastLine = Date.now();
  };
  const maybe = () => {
    const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
    if (tenth > lastTenth && Date.now() - lastLine >= minIntervalMs) {
      lastTenth = tenth;
      line();
    }
  };
  return {
    update(d, t) {
      done = d;
      if (t !== undefined) total = t;
      maybe();
    },
    increment(by = 1) {
      done += by;
      maybe();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (printedDone !== done) line();
    },
  };
}
