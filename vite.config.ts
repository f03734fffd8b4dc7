import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

/**
 * Writes the build's own source files (relative to the repository, no packages) to
 * `.vite/inputs.json` in the output, so `npm start` rebuilds the renderer only when one of the
 * files it was built from changed, not whenever anything under core/ did.
 */
function recordInputs(): Plugin {
  return {
    name: 'cascade-lab:record-inputs',
    apply: 'build',
    generateBundle() {
      const files = new Set<string>();
      for (const id of this.getModuleIds()) {
        const path = id.split('?')[0];
        if (path.startsWith(ROOT) && !path.includes('/node_modules/')) files.add(relative(ROOT, path));
      }
      this.emitFile({ type: 'asset', fileName: '.vite/inputs.json', source: `${JSON.stringify([...files].sort(), null, 1)}\n` });
    },
  };
}

// The renderer is one static page. Relative asset paths let the same build load from the HTTP
// bridge (browser mode) and from the Electron app scheme. No inline scripts or styles are
// emitted, so the page's strict CSP (script-src/style-src 'self') holds in the build.
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react(), recordInputs()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
