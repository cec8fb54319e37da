// Progress display for long commands: cli-progress bars with ETA on a terminal; off a terminal
// nothing by default (logs and pipes stay clean; the final summary goes to stdout), or with
// `--progress` plain lines: one per running task every `intervalMs` and one when it finishes,
// which a log file or CI keeps readably where redrawn bars would be a mess of control codes.
// Used by `fit`/`kl` (one task per class, in sweeps), `train` (one per epoch, in steps),
// `extract`/`evaluate` (one, in images) and by the study host (one per step).
import cliProgress from "cli-progress";

/** The help of every command's --progress flag. */
export const PROGRESS_HELP = "show progress even when stderr is not a terminal (plain lines, for logs)";

export interface Progress {
  /** A task of `total` steps has started (e.g. one class: sweeps × chains). Starting a key that
   * is already shown only updates its total. */
  start(key: string, total: number, label: string): void;
  /** Sets a task's completed steps; `detail` (e.g. "loss 0.412") is shown after the count. */
  update(key: string, done: number, detail?: string): void;
  /** A task finished; its bar stays, filled (or leaves the screen with `removeFinished`). */
  finish(key: string): void;
  /** A message that must not be garbled by the bars (warnings). */
  log(message: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Progress even when the stream is not a TTY (`--progress`): plain lines there. */
  force?: boolean;
  /** Off a terminal, the least time between two lines about one task (default 10 000 ms). */
  intervalMs?: number;
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

/**
 * Bars on stderr when it is a TTY; off a terminal plain progress lines with `force`, otherwise a
 * silent progress whose log still writes its messages.
 */
export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { start() {}, update() {}, finish() {}, log() {}, stop() {} };
  const write = (message: string) => stream.write(message.endsWith("\n") ? message : `${message}\n`);
  if (!stream.isTTY) {
    if (opts.force) return plainProgress(write, opts.unit ?? "sweeps", opts.intervalMs ?? 10_000);
    return { start() {}, update() {}, finish() {}, log: write, stop() {} };
  }
  const unit = opts.unit ?? "sweeps";
  const width = opts.labelWidth ?? 12;
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ` {label} |{bar}| {percentage}% | {value}/{total}${unit ? ` ${unit}` : ""}{detail} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 5,
      // Signals are the command's job.
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
      bars.set(key, { bar: multi.create(total, 0, { label: shown, detail: "" }), total });
    },
    update(key, done, detail) {
      bars.get(key)?.bar.update(done, { detail: detail ? ` | ${detail}` : "" });
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

/** m:ss or h:mm:ss. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms as [number, number, number];
  const two = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/**
 * Progress as plain lines: "<label>: <done>/<total> <unit> (<p>%)[, detail], ETA m:ss" at most
 * every `intervalMs` per task, and "<label>: done, <total> <unit> in <s> s" when it finishes
 * ("<label>: done in <s> s" without a unit).
 */
function plainProgress(write: (line: string) => void, unit: string, intervalMs: number): Progress {
  const tasks = new Map<string, { label: string; total: number; done: number; t0: number; shown: number }>();
  const units = unit ? ` ${unit}` : "";
  return {
    start(key, total, label) {
      const t = tasks.get(key);
      if (t) t.total = total;
      else {
        const now = performance.now();
        tasks.set(key, { label: label.trim(), total, done: 0, t0: now, shown: now });
      }
    },
    update(key, done, detail) {
      const t = tasks.get(key);
      if (!t) return;
      t.done = done;
      const now = performance.now();
      if (now - t.shown < intervalMs || done >= t.total) return;
      t.shown = now;
      const elapsed = (now - t.t0) / 1000;
      const eta = done > 0 ? `, ETA ${clock((elapsed * (t.total - done)) / done)}` : "";
      const pct = t.total > 0 ? Math.floor((100 * done) / t.total) : 0;
      write(`${t.label}: ${done}/${t.total}${units} (${pct}%)${detail ? `, ${detail}` : ""}${eta}`);
    },
    finish(key) {
      const t = tasks.get(key);
      if (!t) return;
      tasks.delete(key);
      // Without a unit the count says nothing (the study's tasks mix kinds of work): only the time.
      const count = unit ? `, ${t.total}${units}` : "";
      write(`${t.label}: done${count} in ${((performance.now() - t.t0) / 1000).toFixed(1)} s`);
    },
    log: write,
    stop() {
      tasks.clear();
    },
  };
}
