/**
 * `lethe`: the headless command line over the same engine the window uses. Training
 * runs in the engine process; this process only parses, reports and waits. Each
 * command lives in its own file under ./cli/, declaring its options, help and handler.
 */
import { parseArgs } from 'node:util';
import { consoleOutput, GLOBAL_OPTIONS, isRefusal, type Command, type Output, type OptionSpecs, type Values } from './cli/command.js';
import { datasetsCommand } from './cli/datasets.js';
import { evaluateCommand } from './cli/evaluate.js';
import { evalLmCommand } from './cli/eval-lm.js';
import { forgetCommand } from './cli/forget.js';
import { generateCommand } from './cli/generate.js';
import { importCommand } from './cli/import.js';
import { infoCommand } from './cli/info.js';
import { purgeCommand } from './cli/purge.js';
import { reportCommand } from './cli/report.js';
import { runsCommand } from './cli/runs.js';
import { serveCommand } from './cli/serve.js';
import { studyCommand } from './cli/study.js';
import { trainCommand } from './cli/train.js';
import { trainLmCommand } from './cli/train-lm.js';
import { unlearnCommand } from './cli/unlearn.js';
import { workerCommand } from './cli/worker.js';
import { unlearnLmCommand } from './cli/unlearn-lm.js';

export type { Output } from './cli/command.js';

/** In the order `lethe --help` lists them. */
const COMMANDS: Command[] = [
  trainCommand,
  trainLmCommand,
  runsCommand,
  importCommand,
  forgetCommand,
  unlearnCommand,
  unlearnLmCommand,
  purgeCommand,
  evaluateCommand,
  evalLmCommand,
  generateCommand,
  studyCommand,
  reportCommand,
  datasetsCommand,
  serveCommand,
  workerCommand,
  infoCommand,
];

const MAIN_HELP = `lethe - multi-objective machine unlearning workbench (headless)

Usage: lethe <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`).join('\n')}

Global options:
  --data-dir DIR   where datasets, splits and checkpoints live
                   (default: $LETHE_DATA_DIR, else ~/.local/share/lethe)
  --json           print machine-readable JSON on stdout
  -h, --help       help for a command: lethe train --help

Environment:
  LETHE_BACKEND    auto | tensorflow-gpu | tensorflow | wasm | cpu (default auto:
                   the first of these that works)`;

/** Every option any command declares (those shared by several are declared alike). */
const ALL_OPTIONS: OptionSpecs = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options));

export async function runCli(argv: string[], io: Output = consoleOutput()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`lethe: ${(error as Error).message}\n\n${MAIN_HELP}`);
    return 2;
  }
  const values = parsed.values as Values;
  const [name, ...extra] = parsed.positionals;
  const byName = (n: string | undefined) => COMMANDS.find((c) => c.name === n);
  if (!name || name === 'help') {
    io.out(byName(extra[0])?.help ?? MAIN_HELP);
    return name || values.help ? 0 : 2;
  }
  const command = byName(name);
  if (!command) {
    io.err(`lethe: unknown command '${name}'\n\n${MAIN_HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(command.help);
    return 0;
  }
  try {
    // A command takes only the options it declares: `lethe runs --epochs 3` is a mistake.
    parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`lethe ${name}: ${(error as Error).message}\n\n${command.help}`);
    return 2;
  }
  if (extra.length > command.positionals) {
    io.err(`lethe ${name}: unexpected argument '${extra[command.positionals]}'`);
    return 2;
  }
  try {
    return await command.run(values, io, extra);
  } catch (error) {
    const message = (error as Error).message;
    io.err(`lethe ${name}: ${message}`);
    if (values.json) io.out(JSON.stringify({ error: message }));
    return isRefusal(error) ? 2 : 1;
  }
}
