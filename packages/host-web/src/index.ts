// @classfit/host-web: the browser app's host, for embedding the study in another web app
// (bundled from source by Vite/esbuild). The page itself is src/main.ts (index.html).

// Bad input named by the page (wrong file, missing file, too large) is the pipeline's InputError;
// the old name stays for embedders.
export { InputError as WebInputError } from "@classfit/pipeline/errors";
export { type WorkerFactory, webWorkerPool } from "./pool.js";
export type { RunSummary, StudyEvent, StudyRequest, TaskEvent, TaskRequest } from "./protocol.js";
export { classKey, enhanceReport } from "./report-view.js";
export {
  checkDatasetFits,
  datasetByteBudget,
  datasetFromFiles,
  defaultDataset,
  expandedSize,
  modelFromFiles,
  webResources,
} from "./resources.js";
export { IndexedDbRunStorage, listRuns, openRunDb } from "./storage.js";
export { checkFileType, layerNames, manifestStages } from "./validate.js";
export { createWebHost, loadCoreModule, type WebHostOptions } from "./web-host.js";
