// One paced turn (bench/paced-load.ts) in a process of its own, so the generator's timing is not
// disturbed by the GCs of the benchmark's own heap (the run log and the tune, some 65 MB).
//   node --import tsx bench/paced-process.ts '{"url":…,"durationS":5,"warmupS":1,…}'
// Prints the measured run as JSON; the warm-up is sent first and not reported.
import { pacedLoad, type PacedOptions } from './paced-load.js';

const { warmupS, ...options } = JSON.parse(process.argv[2]) as PacedOptions & { warmupS: number };
if (warmupS > 0) await pacedLoad({ ...options, durationS: warmupS });
process.stdout.write(JSON.stringify(await pacedLoad(options)));
