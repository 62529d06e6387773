/** `lethe worker`: runs a coordinator's queued jobs on this machine (docs/distributed.md). */
import fs from 'node:fs';
import { EngineClient } from '../app/engine-client.js';
import { QueueWorker } from '../app/queue-worker.js';
import { ensureWritableDir, resolveDataDir } from '../engine/data/data-dir.js';
import { defineCommand, numberOption, UsageError, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe worker --queue redis://HOST:PORT --bridge http://HOST:PORT
                    [--token-file FILE] [--concurrency N] [--stall-seconds S] [--data-dir DIR]

Takes training, unlearning and evaluation jobs that 'lethe study run --queue' put on
the queue and runs them on this machine's compute, each running job in an engine
process of its own (kept for the next job). Inputs
(datasets, splits, checkpoints, forget sets) come from the coordinator's bridge
('lethe serve') and are checked against their sha256 before use; outputs are
uploaded to it. The data directory is this worker's cache; the catalog stays with
the coordinator.

  --queue URL         redis://[:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS
  --bridge URL        the address 'lethe serve --host ADDRESS' printed
  --token-file FILE   a file holding the bridge's token (else $LETHE_BRIDGE_TOKEN)
  --concurrency N     jobs at once, each in its own engine process (default 1)
  --stall-seconds S   a job whose worker died goes to another after about S seconds
                      (default 30; every worker of a queue should use the same)

Ctrl-C (SIGINT) or SIGTERM lets the running jobs finish, then stops.`;

const OPTIONS = {
  queue: { type: 'string' },
  bridge: { type: 'string' },
  'token-file': { type: 'string' },
  concurrency: { type: 'string' },
  'stall-seconds': { type: 'string' },
} satisfies OptionSpecs;

type WorkerValues = Values<typeof OPTIONS>;

function readToken(values: WorkerValues): string {
  const file = values['token-file'];
  let token = process.env.LETHE_BRIDGE_TOKEN;
  if (file) {
    try {
      token = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`cannot read the token file ${file}: ${(error as Error).message}`);
    }
  }
  if (!token) throw new UsageError('give the bridge token: --token-file FILE or $LETHE_BRIDGE_TOKEN (lethe serve --json prints it)');
  return token;
}

function positiveInteger(values: WorkerValues, name: 'concurrency' | 'stall-seconds', fallback: number): number {
  const value = numberOption(values, name) ?? fallback;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return value;
}

async function handle(values: WorkerValues, io: Output): Promise<number> {
  if (!values.queue) throw new UsageError('--queue redis://HOST:PORT is required');
  if (!values.bridge || !/^https?:\/\/[^/]/.test(values.bridge)) throw new UsageError(`--bridge must be the coordinator's http://HOST:PORT, got '${values.bridge ?? ''}'`);
  const worker = new QueueWorker({
    queue: values.queue,
    bridge: values.bridge,
    token: readToken(values),
    dataDir: ensureWritableDir(resolveDataDir(values['data-dir'])),
    concurrency: positiveInteger(values, 'concurrency', 1),
    stallSeconds: positiveInteger(values, 'stall-seconds', 30),
    createEngine: () => new EngineClient(),
    log: (line) => io.err(line),
  });
  const stop = () => {
    io.err('stopping once the running jobs have finished');
    void worker.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const backend = await worker.backend();
    io.err(`worker ${worker.name}: ${backend.name} on ${backend.device}; jobs from ${values.queue.replace(/\/\/[^@/]*@/, '//***@')}`);
    await worker.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await worker.close();
  }
  return 0;
}

export const workerCommand = defineCommand({
  name: 'worker',
  summary: "run a coordinator's queued jobs on this machine (BullMQ on Redis)",
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
