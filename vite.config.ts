import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

/**
 * The Svelte renderer: built into dist/renderer, which both `phototag serve` and the Electron window load.
 * `npx vite` serves it with hot reload and forwards the API and media to a running `phototag serve`.
 */
export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // Source maps stay out of the shipped app; `npx vite` has them.
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8417', changeOrigin: true },
      '/media': { target: 'http://127.0.0.1:8417', changeOrigin: true },
    },
  },
});
