import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built to dist/, served by the bridge at /console/ (one origin). `pnpm dev` proxies the API to a
// bridge on BRIDGE_URL (default http://127.0.0.1:8080).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  // livekit-client (≈530 kB) is its own chunk, loaded only when an operator listens in.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 600 },
  server: {
    proxy: { '/api': { target: process.env.BRIDGE_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
