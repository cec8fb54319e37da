// @classfit/host-web: the browser app's host, for embedding the study in another web app
// (bundled from source by Vite/esbuild). The page itself is src/main.ts (index.html).
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
  WebInputError,
  webResources,
} from "./resources.js";
export { IndexedDbRunStorage, listRuns, openRunDb } from "./storage.js";
export { checkFileType, layerNames, manifestStages } from "./validate.js";
export { createWebHost, loadCoreModule, type WebHostOptions } from "./web-host.js";
