/**
 * Vite for the reference dApp: `vite app` (dev server), `vite build app`, `vite preview app`. The app
 * imports the SDK (../src) and the TypeChain bindings (../typechain-types) straight from the repository.
 */
import { defineConfig } from "vite";

export default defineConfig({
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
  build: { target: "es2022", chunkSizeWarningLimit: 2_000 },
});
