import { Command, CommanderError } from 'commander';
import { CascadeLabError } from '../../core/errors.js';
import { register as registerAdapt } from './adapt.js';
import { register as registerEval } from './eval.js';
import { register as registerPool } from './pool.js';
import { register as registerProbePlan } from './probe-plan.js';
import { register as registerRun } from './run.js';
import { register as registerServe } from './serve.js';
import { toolInfo } from './runlogs.js';
import { register as registerTune } from './tune.js';

/**
 * The `cascade-lab` subcommands. To add one, export `register(program)` from its module and add
 * one import and one entry here.
 */
const COMMANDS: ((program: Command) => void)[] = [registerTune, registerEval, registerServe, registerRun, registerPool, registerProbePlan, registerAdapt];

/** Exit codes: 0 success, 1 unexpected failure, 2 bad input or an unsatisfiable request. */
export const EXIT_BAD_INPUT = 2;

export function buildProgram(): Command {
  const program = new Command('cascade-lab')
    .description('Cascade Lab: cluster the queries of a run log, route each cluster to the model minimising error + λ·cost, escalate doubtful answers')
    .version(toolInfo().version)
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // A command that ends early on purpose (an interrupted run, say) reports through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    if (err instanceof CascadeLabError) {
      process.stderr.write(`cascade-lab: ${err.name}: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}
