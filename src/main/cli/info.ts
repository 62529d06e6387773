/** `lethe info`: starts the engine and shows the compute backend it chose. */
import { EngineClient } from '../app/engine-client.js';
import { defineCommand, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe info [--json]

Starts the engine process and reports the compute backend and device it chose,
and why faster backends were not used.`;

const OPTIONS = {} satisfies OptionSpecs;

type InfoValues = Values<typeof OPTIONS>;

async function handle(values: InfoValues, io: Output): Promise<number> {
  const engine = new EngineClient();
  try {
    const backend = await engine.ready();
    if (values.json) io.out(JSON.stringify(backend, null, 2));
    else {
      io.out(`backend: ${backend.name} (tfjs '${backend.tfjsBackend}')\ndevice:  ${backend.device}`);
      if (backend.kernels) io.out(`kernels: ${backend.kernels}`);
      for (const reason of backend.fallbacks) io.out(`  not used: ${reason}`);
    }
    return 0;
  } finally {
    await engine.shutdown();
  }
}

export const infoCommand = defineCommand({
  name: 'info',
  summary: 'start the engine and show the compute backend it chose',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
