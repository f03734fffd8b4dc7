// The layering check: each runtime layer imports only the layers below it
// (core → native-models → server → electron; renderer sits on core alone).
// The per-runtime tsconfigs back this up: core and renderer compile without Node types.
// Test tiers follow the same idea: unit tests exercise core (and the renderer's pure helpers)
// alone, so they may not reach the Node, Electron or native layers; the other tiers may.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const nodeOnlyPackages = ['node-llama-cpp', 'better-sqlite3', 'openai', 'prom-client', 'ws', 'commander', 'cli-progress', 'js-tiktoken', 'tsx'];
const layer = (name) => [`**/${name}/**`, `../${name}`, `../../${name}`, `../${name}/*`, `../../${name}/*`];

function restrict(group, message) {
  return { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'test-artifacts/**', '.cache/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins, ...nodeOnlyPackages, 'electron', 'react', 'react-dom'].map((name) => ({ name, message: 'core/ is pure: no Node, DOM or Electron imports.' })),
        patterns: [{ group: [...layer('native-models'), ...layer('server'), ...layer('electron'), ...layer('renderer')], message: 'core/ imports no other layer.' }],
      }],
    },
  },
  {
    files: ['native-models/**/*.ts'],
    rules: restrict([...layer('server'), ...layer('electron'), ...layer('renderer'), 'electron', 'react', 'react-dom'], 'native-models/ may import only core/.'),
  },
  {
    files: ['server/**/*.ts'],
    rules: restrict([...layer('electron'), ...layer('renderer'), 'electron', 'react', 'react-dom'], 'server/ may import only core/ and native-models/.'),
  },
  {
    files: ['electron/**/*.ts'],
    rules: restrict([...layer('renderer'), 'react', 'react-dom'], 'electron/ may import core/, native-models/ and server/, never the renderer.'),
  },
  {
    files: ['test/unit/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeOnlyPackages, 'electron'].map((name) => ({ name, message: 'A unit test runs core code alone: models, servers and subprocesses belong to test/integration or test/models.' })),
        patterns: [{ group: [...layer('native-models'), ...layer('server'), ...layer('electron'), '**/test/helpers/**', '../../helpers/*'], message: 'A unit test may import only core/ and the renderer\'s pure modules; tests of the Node layers go in test/integration.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeBuiltins, ...nodeOnlyPackages, 'electron'].map((name) => ({ name, message: 'The renderer runs in a browser sandbox: it talks to AppApi only.' })),
        patterns: [{ group: [...layer('native-models'), ...layer('server'), ...layer('electron')], message: 'The renderer may import only core/.' }],
      }],
    },
  },
);
