// The page's one message line: errors about input, and notes such as a deleted run.
import { h } from "../dom.js";

export interface MessageView {
  readonly el: HTMLElement;
  show(text: string, kind?: "error" | "info"): void;
  clear(): void;
}

export function messageView(): MessageView {
  const el = h("div", { id: "message", role: "alert", class: "message", hidden: true });
  return {
    el,
    show(text, kind = "error") {
      el.textContent = text;
      el.className = `message ${kind}`;
      el.hidden = false;
      el.scrollIntoView({ block: "nearest" });
    },
    clear() {
      el.hidden = true;
      el.textContent = "";
    },
  };
}
