// @classfit/host-web: the browser app (Web Workers, OPFS). Filled in by the host-web issue.
export const PACKAGE = "@classfit/host-web";
