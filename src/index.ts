/** MedChain SDK: everything a dApp imports. */
export * from "./roles.ts";
export * from "./ids.ts";
export * from "./eip712.ts";
export * from "./wiring.ts";
export * from "./crypto.ts";
export * from "./blob-store.ts";
export * from "./key-store.ts";
export * from "./records.ts";
export * from "./gs1.ts";
export * from "./merkle.ts";
export * from "./serial-store.ts";
export * from "./errors.ts";
export * from "./relayer.ts";
export * from "./views/paging.ts";
export * from "./views/supply.ts";
export * from "./clients/supply.ts";
export * from "./epcis.ts";
