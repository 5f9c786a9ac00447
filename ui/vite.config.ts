import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import { fileURLToPath } from "node:url";

const outDir = fileURLToPath(new URL("../kestra_stream/webserver/ui_dist", import.meta.url));
const backend = process.env.KESTRA_API ?? "http://localhost:8080";

export default defineConfig({
  base: "/ui/",
  plugins: [vue()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: true },
      "/ping": { target: backend },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
} as any);
