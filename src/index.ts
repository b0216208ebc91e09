export * from "./crypto.ts";
export * from "./blob-store.ts";
export * from "./records.ts";
