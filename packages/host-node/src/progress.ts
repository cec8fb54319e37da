// Progress display for long commands: cli-progress bars with ETA on a terminal, nothing at all
// when stderr is not a TTY (logs and pipes stay clean; the final summary goes to stdout).
import cliProgress from "cli-progress";

export interface Progress {
  /** A task of `total` steps has started (e.g. one class: sweeps × chains). */
  start(key: string, total: number, label: string): void;
  /** Sets a task's completed steps. */
  update(key: string, done: number): void;
  /** A task finished; its bar stays, filled. */
  finish(key: string): void;
  /** A message that must not be garbled by the bars (warnings). */
  log(message: string): void;
  stop(): void;
}

/** Bars on stderr when it is a TTY (or `force`), otherwise a silent progress whose log writes plain lines. */
export function createProgress(opts: { force?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
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
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: " {label} |{bar}| {percentage}% | {value}/{total} sweeps | ETA {eta_formatted}",
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
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    start(key, total, label) {
      bars.set(key, multi.create(total, 0, { label: label.padEnd(12) }));
    },
    update(key, done) {
      bars.get(key)?.update(done);
    },
    finish(key) {
      const b = bars.get(key);
      if (b) b.update(b.getTotal());
    },
    log(message) {
      multi.log(message.endsWith("\n") ? message : `${message}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}
