// The page: choose data, networks, stages and profile; run the study in a worker with live
// progress and Cancel; then the report with interactive figures and a download for every
// artifact. Plain DOM; no inline scripts or styles (the page's CSP forbids them).
import { StudyController } from "./controller.js";

// deviceMemory (GiB, coarse) exists in Chromium only; elsewhere the default is every core.
const deviceMemory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
new StudyController(document.getElementById("app") as HTMLElement, navigator.hardwareConcurrency, deviceMemory);
