// `npm run bench -- cli-startup`: the CLI start-up figures of the startup bench alone (seconds, no Chromium).
import { measureCliStartup } from './cli-startup.js';

console.log('\nCLI start-up');
console.log(measureCliStartup(Number(process.env.STARTUP_RUNS ?? 15)));
