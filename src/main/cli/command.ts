/**
 * What every `lethe` command shares: how it declares its options, help and handler,
 * the parsing of option values, the output it writes, and the service session it runs in.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParseArgsConfig } from 'node:util';
import type { RunSummary } from '../../shared/catalog-types.js';
import type { LetheEvent } from '../../shared/lethe-api.js';
import { InvalidRequestError } from '../../shared/validation.js';
import { EngineClient } from '../app/engine-client.js';
import { LetheService, NotFoundError } from '../app/lethe-service.js';
import { Catalog } from '../catalog/catalog.js';
import { ensureWritableDir, resolveDataDir } from '../engine/data/data-dir.js';

/** A command line the user got wrong: exit code 2, like an InvalidRequestError. */
export class UsageError extends Error {}

/** Bad input of any kind (options, files, names of things that do not exist): exit code 2. */
export function isRefusal(error: unknown): boolean {
  return error instanceof UsageError || error instanceof InvalidRequestError || error instanceof NotFoundError;
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
} satisfies OptionSpecs;

/** The parsed values of a command's own options and the global ones. */
export type Values<O extends OptionSpecs = Record<never, never>> = {
  [K in keyof (O & typeof GLOBAL_OPTIONS)]?: (O & typeof GLOBAL_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
}

/**
 * The process's stdout and stderr. A reader that stops early (lethe runs | head -1)
 * closes its pipe: what it would have read is dropped, quietly, and the command ends as usual.
 */
export function consoleOutput(): Output {
  const writer = (stream: NodeJS.WriteStream) => {
    let readerGone = false;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && !readerGone) throw error;
      readerGone = true;
    });
    return (text: string) => {
      if (!readerGone) stream.write(text + '\n');
    };
  };
  return { out: writer(process.stdout), err: writer(process.stderr), isTTY: process.stderr.isTTY === true };
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line for the command list of `lethe --help`. */
  summary: string;
  help: string;
  options: O;
  /** How many positional arguments the command takes. */
  positionals: number;
  run(values: Values<O>, io: Output, positionals: string[]): number | Promise<number>;
}

/** Ties a command's handler to the types of the options it declares. */
export function defineCommand<O extends OptionSpecs>(command: Command<O>): Command<O> {
  return command;
}

export function numberOption<V extends Record<string, string | boolean | undefined>>(values: V, name: keyof V & string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a finite number, got '${String(raw)}'`);
  }
  return value;
}

export function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function packageRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

function appVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(packageRoot() + 'package.json', 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The built renderer (npm run build) that `lethe serve` hands to browsers. */
export function rendererDir(): string {
  return packageRoot() + 'out/renderer';
}

/**
 * Opens the catalog and a service over it for one command; the engine starts only if
 * used. However the command ends, its runs are cancelled and recorded before the catalog closes.
 */
export async function withService<T>(values: Values, use: (service: LetheService, catalog: Catalog) => Promise<T>): Promise<T> {
  const dataDir = ensureWritableDir(resolveDataDir(values['data-dir']));
  const catalog = Catalog.open(dataDir);
  const engine = new EngineClient();
  const service = new LetheService({ catalog, engine, appVersion: appVersion() });
  try {
    return await use(service, catalog);
  } finally {
    await service.cancelActiveRuns();
    await engine.shutdown();
    catalog.close();
  }
}

/**
 * Starts a run and follows it to its end: its own events go to `onEvent`, Ctrl-C
 * cancels it, a refusal of its input by the engine is thrown. Subscribes before
 * starting so no event is missed.
 */
export async function followRun(
  service: LetheService,
  start: () => Promise<RunSummary>,
  onEvent: (event: Exclude<LetheEvent, { type: 'run-updated' | 'run-refused' | 'task-progress' | 'study-progress' | 'jobs-changed' }>) => void,
  io: Output,
): Promise<RunSummary> {
  let runId = '';
  const unsubscribe = service.subscribe((event) => {
    if (event.type === 'run-updated' || event.type === 'run-refused' || event.type === 'task-progress' || event.type === 'study-progress' || event.type === 'jobs-changed') return;
    if (event.runId === runId) onEvent(event);
  });
  const onSigint = () => {
    io.err('cancelling...');
    void service.cancelRun(runId).catch(() => {});
  };
  try {
    runId = (await start()).id;
    io.err(`run ${runId}`);
    process.on('SIGINT', onSigint);
    return await service.waitForRun(runId);
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }
}

/** Exit code and message for a run that did not finish. */
export function unfinished(run: RunSummary, io: Output): number | undefined {
  if (run.status === 'cancelled') {
    io.err(`${run.kind} cancelled; no checkpoint was written`);
    return 130;
  }
  if (run.status === 'failed') {
    io.err(`lethe ${run.kind === 'retrain' ? 'unlearn' : run.kind}: ${run.error}`);
    return 1;
  }
  return undefined;
}
