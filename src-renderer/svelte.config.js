/** Read by the Vite plugin, svelte-check and Prettier's Svelte plugin alike. */
export default {
  compilerOptions: { runes: true },
};
