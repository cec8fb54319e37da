// Where the full Fashion-MNIST sits on this machine: the folder named by the environment variable
// CLASSFIT_FASHION_MNIST, holding the four gzipped IDX files of the original release. Only the
// benchmarks and the default-dataset generator read it; the CLI, the study and the tests use the
// embedded subset (packages/models/assets/fashion-mnist-default).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const FASHION_MNIST_ENV = "CLASSFIT_FASHION_MNIST";
export const FASHION_MNIST_FILES = [
  "train-images-idx3-ubyte.gz",
  "train-labels-idx1-ubyte.gz",
  "t10k-images-idx3-ubyte.gz",
  "t10k-labels-idx1-ubyte.gz",
];

/**
 * The Fashion-MNIST folder as an absolute path: `dir` when given (from an option named `via`),
 * else $CLASSFIT_FASHION_MNIST. Throws, naming the variable and the four files, when neither is
 * set or a file is missing.
 */
export function fashionMnistDir(dir = undefined, via = undefined) {
  const need = `a folder holding the four gzipped Fashion-MNIST IDX files ${FASHION_MNIST_FILES.join(", ")}`;
  const fromEnv = dir === undefined || dir === "";
  const path = fromEnv ? process.env[FASHION_MNIST_ENV] : dir;
  if (path === undefined || path === "") {
    const alt = via === undefined ? "" : ` (or pass ${via})`;
    throw new Error(`${FASHION_MNIST_ENV} is not set${alt}: set it to ${need}`);
  }
  const abs = resolve(path);
  const missing = FASHION_MNIST_FILES.filter((f) => !existsSync(join(abs, f)));
  if (missing.length > 0) {
    const source = fromEnv ? `${FASHION_MNIST_ENV}=${path}` : `${via ?? "folder"} ${path}`;
    throw new Error(`${source}: missing ${missing.join(", ")}; expected ${need}`);
  }
  return abs;
}
