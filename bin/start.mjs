#!/usr/bin/env node
// `npm start`: builds the renderer when dist/renderer is missing or older than the files it was
// built from, then opens the Electron window where Electron's binary and a display exist;
// otherwise serves browser mode on 127.0.0.1 and prints the URL (with this launch's token) until
// Ctrl-C. Browser mode runs the Node side bundled into dist/node (bin/build-node.mjs rebuilds it
// first when a source it was built from changed: about a second), not through tsx.
//   npm start -- --browser          browser mode even where Electron could run
//   npm start -- --port 5170        a fixed port (default: a free one)
//   npm start -- --host 127.0.0.1   the interface to bind (loopback unless you mean otherwise)
//   npm start -- --data DIR         open this run log (a shared-format folder, CSV or JSONL) first
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { importNodeEntry } from './build-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    browser: { type: 'boolean', default: false },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
  },
});
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`npm start: --port must be an integer in [0, 65535], got "${args.port}"`);
  process.exit(2);
}

/** Latest modification time under the given paths (files or folders), in ms. */
function newest(paths) {
  let latest = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
    else latest = Math.max(latest, s.mtimeMs);
  };
  paths.forEach((p) => visit(join(root, p)));
  return latest;
}

function stale(output, inputs) {
  const out = join(root, output);
  return !existsSync(out) || statSync(out).mtimeMs < newest(inputs);
}

function run(what, command, commandArgs) {
  console.log(`npm start: ${what}…`);
  const result = spawnSync(process.execPath, [command, ...commandArgs], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`npm start: ${what} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

if (args.data !== undefined && !existsSync(args.data)) {
  console.error(`npm start: --data ${args.data}: no such file or folder`);
  process.exit(2);
}

/** What the last renderer build was made from (vite.config.ts records it), or, without that record, every folder it could be. */
function rendererInputs() {
  const always = ['vite.config.ts', 'package-lock.json', 'renderer/index.html'];
  try {
    return [...always, ...JSON.parse(readFileSync(join(root, 'dist/renderer/.vite/inputs.json'), 'utf8'))];
  } catch {
    return [...always, 'renderer', 'core'];
  }
}

if (stale('dist/renderer/index.html', rendererInputs())) {
  run('building the renderer (dist/renderer is missing or stale)', join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js'), ['build']);
}

/**
 * Electron's binary, or why it cannot run here. Reads the electron package's path.txt itself,
 * because requiring the package tries to download a missing binary.
 */
function electronBinary() {
  const pkg = dirname(require.resolve('electron/package.json'));
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return { why: "Electron's binary is not installed (run `npx install-electron` where there is network access)" };
  const name = readFileSync(pathFile, 'utf8').trim();
  const path = process.env.ELECTRON_OVERRIDE_DIST_PATH ? join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name) : join(pkg, 'dist', name);
  if (!existsSync(path)) return { why: `Electron's binary is missing at ${path}` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { why: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return { path };
}

const electron = args.browser ? { why: '--browser was given' } : electronBinary();
if (electron.path) {
  if (stale('dist/electron/main.js', ['electron', 'server', 'native-models', 'core'])) {
    run('compiling the Electron main process', join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc'), ['-p', 'electron/tsconfig.json']);
  }
  const env = args.data === undefined ? process.env : { ...process.env, CASCADE_LAB_WORKSPACE: resolve(args.data) };
  const child = spawn(electron.path, [root], { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  console.log(`npm start: browser mode, because ${electron.why}.`);
  const { runBrowserMode } = await importNodeEntry(root, 'browser-mode', (line) => console.log(`npm start: ${line}`));
  await runBrowserMode({ root, port, host: args.host, runLog: args.data });
  process.exit(0);
}
