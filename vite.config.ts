import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type ProxyOptions } from 'vite';

/**
 * The Svelte renderer: built into dist/renderer, which both `phototag serve` and the Electron window load.
 * `npx vite` serves it with hot reload and forwards the API and media to a running `phototag serve`.
 */
/**
 * serve needs its access token on loopback too: `PHOTOTAG_TOKEN=<the token in serve's link> npx vite`. The proxy
 * sends it, and speaks to serve as a same-origin page would (serve refuses other origins).
 */
const serveProxy: ProxyOptions = {
  target: 'http://127.0.0.1:8417',
  changeOrigin: true,
  headers: process.env.PHOTOTAG_TOKEN ? { Authorization: `Bearer ${process.env.PHOTOTAG_TOKEN}` } : {},
  configure: (proxy) => proxy.on('proxyReq', (request) => request.removeHeader('origin')),
};

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
    // Svelte's compile is this build's work, so Rolldown's notice that plugins took most of its time
    // (PLUGIN_TIMINGS) has nothing to act on; it broke into `npm ci`'s output on a busy 2-core machine.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: Object.fromEntries(['/api', '/media'].map((path) => [path, serveProxy])),
  },
});
