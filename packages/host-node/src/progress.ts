// Progress display for long commands: cli-progress bars with ETA on a terminal, nothing at all
// when stderr is not a TTY (logs and pipes stay clean; the final summary goes to stdout).
// Used by `fit`/`kl` (one bar per class, in sweeps) and by the study host (one bar per task).
import cliProgress from "cli-progress";

export interface Progress {
  /** A task of `total` steps has started (e.g. one class: sweeps × chains). Starting a key that
   * is already shown only updates its total. */
  start(key: string, total: number, label: string): void;
  /** Sets a task's completed steps. */
  update(key: string, done: number): void;
  /** A task finished; its bar stays, filled (or leaves the screen with `removeFinished`). */
  finish(key: string): void;
  /** A message that must not be garbled by the bars (warnings). */
  log(message: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Bars even when the stream is not a TTY (`--progress`). */
  force?: boolean;
  /** No output at all, not even log lines. */
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  /** Unit shown after value/total, e.g. "sweeps" (default: "sweeps"; "" for none). */
  unit?: string;
  /** Labels are padded to this width (default 12) and, with `cutLabels`, cut to it. */
  labelWidth?: number;
  cutLabels?: boolean;
  /** Finished bars leave the screen, so many short tasks do not scroll the terminal away. */
  removeFinished?: boolean;
}

/** Bars on stderr when it is a TTY (or `force`), otherwise a silent progress whose log writes plain lines. */
export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { start() {}, update() {}, finish() {}, log() {}, stop() {} };
  if (!(opts.force || stream.isTTY)) {
    return {
      start() {},
      update() {},
      finish() {},
      log(message) {
        stream.write(message.endsWith("\n") ? message : `${message}\n`);
      },
      stop() {},
    };
  }
  const unit = opts.unit ?? "sweeps";
  const width = opts.labelWidth ?? 12;
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ` {label} |{bar}| {percentage}% | {value}/{total}${unit ? ` ${unit}` : ""} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 5,
      // Forced bars on a pipe/file (--progress) must still render; signals are the command's job.
      noTTYOutput: opts.force === true && !stream.isTTY,
      gracefulExit: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; total: number }>();
  return {
    start(key, total, label) {
      const b = bars.get(key);
      if (b) {
        if (b.total !== total) {
          b.bar.setTotal(total);
          b.total = total;
        }
        return;
      }
      const shown = (opts.cutLabels ? label.slice(0, width) : label).padEnd(width);
      bars.set(key, { bar: multi.create(total, 0, { label: shown }), total });
    },
    update(key, done) {
      bars.get(key)?.bar.update(done);
    },
    finish(key) {
      const b = bars.get(key);
      if (!b) return;
      if (opts.removeFinished) {
        multi.remove(b.bar);
        bars.delete(key);
      } else b.bar.update(b.bar.getTotal());
    },
    log(message) {
      multi.log(message.endsWith("\n") ? message : `${message}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}
