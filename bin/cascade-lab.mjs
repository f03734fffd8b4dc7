#!/usr/bin/env node
// Runs the CLI from the Node bundle in dist/node (the one `npm start` runs), rebuilt first when
// a source it was built from changed: starting it costs tens of milliseconds where compiling the
// TypeScript through tsx took seconds. Notes about the build go to stderr; stdout stays the
// command's own (`--json` output is piped).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importNodeEntry } from './build-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { main } = await importNodeEntry(root, 'cli', (line) => process.stderr.write(`cascade-lab: ${line}\n`));
process.exitCode = await main(process.argv);
