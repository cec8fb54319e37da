// Progress off a terminal: silent by default, plain lines with --progress (periodic per running
// task, one when it finishes), never control codes.
import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.js";

/** A non-TTY stream that keeps what is written. */
function pipe(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = {
    isTTY: false,
    write(c: string) {
      chunks.push(c);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join("") };
}

describe("createProgress off a terminal", () => {
  it("prints nothing but log messages without --progress", () => {
    const { stream, text } = pipe();
    const p = createProgress({ stream });
    p.start("a", 10, "class 0");
    p.update("a", 5);
    p.finish("a");
    p.log("warning: class 0 is small");
    p.stop();
    expect(text()).toBe("warning: class 0 is small\n");
  });

  it("with --progress prints plain lines: running tasks at most every interval, and each finish", async () => {
    const { stream, text } = pipe();
    const p = createProgress({ stream, force: true, unit: "steps", intervalMs: 20 });
    p.start("1", 4, "epoch 1/2");
    p.update("1", 1, "loss 2.301");
    // Within the interval: nothing new.
    expect(text()).toBe("");
    await new Promise((r) => setTimeout(r, 30));
    p.update("1", 2, "loss 1.904");
    p.update("1", 3, "loss 1.700");
    p.update("1", 4);
    p.finish("1");
    p.stop();
    const lines = text().trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^epoch 1\/2: 2\/4 steps \(50%\), loss 1\.904, ETA \d+:\d\d$/);
    expect(lines[1]).toMatch(/^epoch 1\/2: done, 4 steps in \d+\.\d s$/);
    expect(text()).not.toContain("\u001b");
  });

  it("without a unit, a finished task's line gives only its time", () => {
    const { stream, text } = pipe();
    const p = createProgress({ stream, force: true, unit: "" });
    p.start("k", 32, "resnet stage1 fit class 3");
    p.finish("k");
    expect(text()).toMatch(/^resnet stage1 fit class 3: done in \d+\.\d s\n$/);
  });

  it("--quiet wins over --progress", () => {
    const { stream, text } = pipe();
    const p = createProgress({ stream, force: true, quiet: true, intervalMs: 0 });
    p.start("a", 2, "x");
    p.update("a", 1);
    p.finish("a");
    p.log("hello");
    expect(text()).toBe("");
  });
});
