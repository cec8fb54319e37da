// Run status, one progress bar per running unit of work, and the run's log.
import { h } from "../dom.js";
import type { StudyEvent } from "../protocol.js";

export type RunState = "idle" | "running" | "done" | "error" | "interrupted";
type ProgressEvent = Extract<StudyEvent, { type: "progress-start" | "progress-update" | "progress-finish" | "log" }>;

export interface ProgressView {
  /** Status line, bars and log, in page order. */
  readonly nodes: readonly HTMLElement[];
  setStatus(state: RunState, text: string): void;
  apply(ev: ProgressEvent): void;
  clearLog(): void;
  /** Removes every bar (a run ended, whatever it left open). */
  clearBars(): void;
}

interface Bar {
  row: HTMLElement;
  bar: HTMLProgressElement;
  text: HTMLElement;
  total: number;
}

export function progressView(): ProgressView {
  // Right under the Run button: a run's outcome, a bad input's message (naming the field or
  // file) included, shows where the user just clicked.
  const status = h("p", { id: "status", "data-state": "idle", text: "idle", role: "status", "aria-live": "polite" });
  const bars = h("div", { id: "progress" });
  const log = h("pre", { id: "log", class: "log" });
  const barEls = new Map<string, Bar>();
  return {
    nodes: [status, bars, log],
    setStatus(state, text) {
      status.dataset.state = state;
      status.textContent = text;
      if (state === "error") status.scrollIntoView?.({ block: "nearest" });
    },
    apply(ev) {
      switch (ev.type) {
        case "progress-start": {
          let b = barEls.get(ev.key);
          if (!b) {
            const bar = h("progress", { max: ev.total, value: 0 }) as HTMLProgressElement;
            const text = h("span", { class: "small" });
            // Pool tasks are keyed "<kind>:<label>" (fit, density, kl): show the kind with the label.
            const kind = /^(fit|density|kl):/.exec(ev.key)?.[1];
            const row = h(
              "div",
              { class: "bar", "data-key": ev.key },
              h("span", { class: "label", text: kind ? `${kind} · ${ev.label}` : ev.label }),
              bar,
              text,
            );
            b = { row, bar, text, total: ev.total };
            barEls.set(ev.key, b);
            bars.append(row);
          }
          b.total = ev.total;
          b.bar.max = ev.total;
          b.text.textContent = `0/${ev.total}`;
          break;
        }
        case "progress-update": {
          const b = barEls.get(ev.key);
          if (b) {
            b.bar.value = ev.done;
            b.text.textContent = `${ev.done}/${b.total}`;
          }
          break;
        }
        case "progress-finish": {
          const b = barEls.get(ev.key);
          if (b) {
            b.row.remove();
            barEls.delete(ev.key);
          }
          break;
        }
        case "log":
          log.textContent += `${ev.message}\n`;
          break;
      }
    },
    clearLog() {
      log.textContent = "";
    },
    clearBars() {
      for (const b of barEls.values()) b.row.remove();
      barEls.clear();
    },
  };
}
