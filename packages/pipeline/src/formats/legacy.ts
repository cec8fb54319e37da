// Old binary formats (CFA1 containers, CFPJ projections, raw CFDPGMM class models, bare-array
// kl.json) are still read by this version, with a one-line note; the next version refuses them
// and names `classfit convert`, which rewrites them in the open formats (docs/python.md).

/** Receives one line per old-format file read, and the file's name as the reader got it. Hosts
 * may replace it (the CLI prints to stderr; a study gathers them into one line). */
export type LegacyFormatHandler = (message: string, what: string) => void;

let handler: LegacyFormatHandler = (message) => console.warn(message);
const seen = new Set<string>();

/** Replaces the handler; returns the previous one (tests restore it). */
export function setLegacyFormatHandler(h: LegacyFormatHandler): LegacyFormatHandler {
  const previous = handler;
  handler = h;
  return previous;
}

/** The note for an old-format file: what it is, that it still reads, and how to convert it. */
export function legacyFormatMessage(what: string, format: string): string {
  return `classfit: note: ${what} is in the old ${format} format, still read by this version but not by the next; rewrite it with \`classfit convert ${what}\``;
}

const quiet = new Set<string>();

/** No note for `what`: a container's own note covers it (an old FITDIR's class files). */
export function quietLegacyNote(what: string): void {
  quiet.add(what);
}

/** Reports that `what` was read in an old format (once per name per process). */
export function noteLegacyFormat(what: string, format: string): void {
  const key = `${what}\0${format}`;
  if (seen.has(key) || quiet.has(what)) return;
  seen.add(key);
  handler(legacyFormatMessage(what, format), what);
}

/**
 * A finished step's output `name`, or, in a run directory written by the previous version, the
 * file it had under its old `legacyName`; `path` names the file found (its reader notes an old
 * format). Throws when neither is there.
 */
export function stepOutput(
  files: Map<string, Uint8Array>,
  dir: string,
  name: string,
  legacyName: string,
): { bytes: Uint8Array; path: string } {
  const now = files.get(name);
  if (now !== undefined) return { bytes: now, path: `${dir}/${name}` };
  const old = files.get(legacyName);
  if (old === undefined) throw new Error(`${dir}: step output ${name} is missing`);
  return { bytes: old, path: `${dir}/${legacyName}` };
}
