// The page: choose data, networks, stages and profile; run the study in a worker with live
// progress and Cancel; then the report with interactive figures and a download for every
// artifact. Plain DOM; no inline scripts or styles (the page's CSP forbids them).
import { StudyController } from "./controller.js";

new StudyController(document.getElementById("app") as HTMLElement, navigator.hardwareConcurrency);
