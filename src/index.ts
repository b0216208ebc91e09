/** MedChain SDK for Node.js: the whole browser entry (`browser.ts`) and the Node-only part (`node.ts`). */
export * from "./browser.ts";
export * from "./node.ts";
