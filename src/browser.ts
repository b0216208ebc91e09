/**
 * MedChain SDK for browsers: everything `index.ts` exports except the folder-backed stores
 * (`node.ts`, which use the Node.js file system). Bundlers take it through the package's
 * `browser` export condition; a dApp keeps blobs and key wraps in the in-memory stores or in its own
 * implementation of `BlobStore` / `KeyWrapStore`. (`loadDeployment` reads a folder and so needs Node.js
 * too; a dApp passes addresses to `connectMedChain` instead.)
 */
export * from "./roles.ts";
export * from "./ids.ts";
export * from "./eip712.ts";
export * from "./identity.ts";
export * from "./wiring.ts";
export * from "./crypto.ts";
export * from "./blob-store.ts";
export * from "./key-store.ts";
export * from "./records.ts";
export * from "./shredder.ts";
export * from "./gs1.ts";
export * from "./merkle.ts";
export * from "./serial-store.ts";
export * from "./errors.ts";
export * from "./relayer.ts";
export * from "./trials.ts";
export * from "./views/paging.ts";
export * from "./views/supply.ts";
export * from "./clients/supply.ts";
export * from "./epcis.ts";
export * from "./scopes.ts";
export * from "./clients/consent.ts";
export * from "./clients/records.ts";
export * from "./views/consent.ts";
export * from "./fhir.ts";
export * from "./deployments.ts";
export * from "./clients/claims.ts";
