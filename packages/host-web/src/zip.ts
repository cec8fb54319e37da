// A zip of a run's artifacts built on the page's thread without freezing it: fflate's streaming
// Zip with stored (uncompressed) entries, one file at a time, yielding to the event loop between
// files; the chunks become a Blob (never one large contiguous copy).
import { Zip, ZipPassThrough } from "fflate";

export async function zipToBlob(files: Iterable<[string, Uint8Array]>): Promise<Blob> {
  const parts: Uint8Array[] = [];
  let failure: Error | null = null;
  let finished = false;
  const zip = new Zip((err, chunk, final) => {
    if (err) failure = err;
    else parts.push(chunk);
    if (final) finished = true;
  });
  for (const [name, bytes] of files) {
    const entry = new ZipPassThrough(name);
    entry.mtime = "2000-01-01T00:00:00Z";
    zip.add(entry);
    entry.push(bytes, true);
    if (failure) throw failure;
    await new Promise((r) => setTimeout(r, 0));
  }
  zip.end();
  if (failure) throw failure;
  if (!finished) throw new Error("zip: the archive did not finish");
  return new Blob(parts as BlobPart[], { type: "application/zip" });
}
