#!/usr/bin/env node
// Runs the TypeScript CLI straight from the source tree (no build step): tsx's ESM loader is
// registered first, then server/cli/main.ts is imported through it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../server/cli/main.ts');
process.exitCode = await main(process.argv);
