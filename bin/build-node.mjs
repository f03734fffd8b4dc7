#!/usr/bin/env node
// The Node side (browser mode's server/app and the CLI's server/cli, with the core and
// native-models code they import, and their pure-JavaScript packages) bundled into dist/node/, so
// neither `npm start` nor `cascade-lab` compiles TypeScript at launch or resolves hundreds of small
// package files (ml-kmeans alone pulls in about 300 ms of module loading; bundled, 13 ms). Built
// with vite (already a devDependency, for the renderer) in SSR mode: entries browser-mode.js,
// cli.js and tune-worker.js (the tune child forks it), code behind dynamic imports (streams, runs,
// serving) in chunks beside them. Native and heavy lazily used packages stay external.
// dist/node/bundle.json records the source files the build read and the files it wrote: the next
// launch rebuilds only when one of those sources changed, and the tune cache fingerprints the
// engine by the files written. No type checking here: `npm run typecheck` does that.
//   node bin/build-node.mjs            bring dist/node up to date
//   node bin/build-node.mjs --force    rebuild even when fresh
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const NODE_OUT = join('dist', 'node');
const ENTRIES = { 'browser-mode': 'server/app/browser-mode.ts', cli: 'server/cli/main.ts', 'tune-worker': 'server/app/tune-worker.ts' };
/** Native addons, packages loaded only on demand (live tiers, serving, tokenizer ranks), and optional native helpers of ws. */
const EXTERNAL = [
  'node-llama-cpp', 'better-sqlite3', 'openai', 'prom-client', 'js-tiktoken', 'umap-js', 'write-file-atomic',
  'commander', 'cli-progress', 'bufferutil', 'utf-8-validate',
];
/** Files that change every build without being imported. */
const ALWAYS = ['package-lock.json', 'bin/build-node.mjs'];

const isExternal = (id) => EXTERNAL.some((e) => id === e || id.startsWith(`${e}/`));

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : Number.POSITIVE_INFINITY;
}

/** Why dist/node must be rebuilt, or null when it is up to date with every source it was built from. */
export function nodeSideStale(root) {
  const manifest = join(root, NODE_OUT, 'bundle.json');
  if (!existsSync(manifest)) return 'dist/node is missing';
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    return 'dist/node/bundle.json is unreadable';
  }
  const built = statSync(manifest).mtimeMs;
  if (recorded.outputs.some((f) => !existsSync(join(root, NODE_OUT, f)))) return 'a file of dist/node is missing';
  const changed = [...ALWAYS, ...recorded.inputs].find((f) => mtime(join(root, f)) > built);
  return changed ? `${changed} changed` : null;
}

function filesUnder(dir, into = []) {
  if (!existsSync(dir)) return into;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, into);
    else into.push(p);
  }
  return into;
}

/**
 * Builds dist/node when it is stale (or always, with `force`); returns null when it was fresh,
 * else why it was built. The build goes to a temporary folder and its files are then renamed
 * into place, bundle.json last: a server already running from dist/node keeps its own chunks
 * (their names carry a content hash; ones no build has written for an hour are removed).
 */
export async function buildNodeSide(root, { force = false } = {}) {
  const why = force ? 'asked to' : nodeSideStale(root);
  if (!why) return null;
  const out = join(root, NODE_OUT);
  const tmp = `${out}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const { build } = await import('vite');
  const manifest = {
    name: 'cascade-lab:bundle-manifest',
    generateBundle(_options, bundle) {
      const inputs = new Set();
      for (const id of this.getModuleIds()) {
        const path = id.split('?')[0];
        if (path.startsWith(root) && !path.includes('/node_modules/')) inputs.add(relative(root, path));
      }
      const outputs = Object.keys(bundle).sort();
      this.emitFile({ type: 'asset', fileName: 'bundle.json', source: `${JSON.stringify({ inputs: [...inputs].sort(), outputs }, null, 1)}\n` });
    },
  };
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    plugins: [manifest],
    ssr: { noExternal: true, external: EXTERNAL },
    build: {
      ssr: true,
      outDir: tmp,
      emptyOutDir: true,
      copyPublicDir: false,
      minify: false,
      target: 'node20',
      rollupOptions: {
        input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
        external: isExternal,
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  });
  mkdirSync(out, { recursive: true });
  const written = filesUnder(tmp).map((p) => relative(tmp, p));
  const moved = new Set(written.map((f) => join(out, f)));
  for (const f of [...written.filter((f) => f !== 'bundle.json'), 'bundle.json']) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    renameSync(join(tmp, f), join(out, f));
  }
  rmSync(tmp, { recursive: true, force: true });
  const hourAgo = Date.now() - 3_600_000;
  for (const p of filesUnder(out)) if (!moved.has(p) && statSync(p).mtimeMs < hourAgo) rmSync(p);
  for (const e of readdirSync(out, { withFileTypes: true })) {
    if (e.isDirectory() && filesUnder(join(out, e.name)).length === 0) rmSync(join(out, e.name), { recursive: true });
  }
  return why;
}

/**
 * Imports entry `name` of dist/node, bundling first when the bundle is stale (`log` says so).
 * Where the bundle cannot be built or loaded (vite missing, say), imports its TypeScript source
 * through tsx instead: slower to start, the same code.
 */
export async function importNodeEntry(root, name, log) {
  try {
    const stale = nodeSideStale(root);
    if (stale) {
      log(`bundling the Node side into ${NODE_OUT} (${stale})…`);
      await buildNodeSide(root, { force: true });
    }
    return await import(pathToFileURL(join(root, NODE_OUT, `${name}.js`)).href);
  } catch (err) {
    log(`running the TypeScript sources through tsx (the dist/node bundle failed: ${err.message}).`);
    // tsx is a dev dependency, like vite that builds the bundle: an install without either cannot start.
    const { register } = await import('tsx/esm/api').catch((missing) => {
      throw new Error(`the dist/node bundle failed (${err.message}) and tsx, its fallback, cannot load (${missing.message}): run npm ci`);
    });
    register();
    return import(pathToFileURL(join(root, ENTRIES[name])).href);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const started = performance.now();
  const why = await buildNodeSide(root, { force: process.argv.includes('--force') });
  console.log(why ? `dist/node built (${why}) in ${(performance.now() - started).toFixed(0)} ms` : 'dist/node is up to date');
}
