export * from "./gs1.ts";
export * from "./merkle.ts";
export * from "./serial-store.ts";
