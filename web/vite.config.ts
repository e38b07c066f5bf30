// Vite builds the client into web/dist, which `flourish serve` serves at `/`.
// `npm run dev` serves it with hot reload and forwards the server's paths to a running
// `scripts/serve` on port 8080.
import { defineConfig } from "vite";

const server = "http://127.0.0.1:8080";

export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
  server: {
    proxy: {
      "/api": server,
      "/socket.io": { target: server, ws: true },
    },
  },
});
