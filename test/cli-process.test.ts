/**
 * The command line as a process among others: Ctrl-C from a terminal (SIGINT to the
 * whole process group), a reader that closes the pipe early, SIGTERM to `lethe serve`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { catalogPath } from '../src/main/catalog/catalog.js';
import { makeTempDir } from './helpers.js';

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The CLI in a process group of its own, as a terminal's foreground job is. */
function startCli(args: string[], options: { closeStdout?: boolean } = {}): Started {
  const child = spawn(process.execPath, ['bin/lethe.mjs', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LETHE_BACKEND: 'wasm' },
  });
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout!.destroy();
  else child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitFor(read: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function runsIn(dataDir: string): { id: string; status: string; error: string | null }[] {
  const db = new Database(catalogPath(dataDir), { readonly: true });
  try {
    return db.prepare('SELECT id, status, error FROM runs ORDER BY created_at').all() as { id: string; status: string; error: string | null }[];
  } finally {
    db.close();
  }
}

const longTraining = ['--dataset', 'mnist', '--model', 'mlp', '--epochs', '200', '--batch-size', '256'];

describe('lethe as a process', () => {
  it('Ctrl-C during train cancels the run (exit 130), though the engine gets the SIGINT too', async () => {
    const dataDir = makeTempDir('cli-sigint');
    const cli = startCli(['train', ...longTraining, '--data-dir', dataDir]);
    const [, runId] = await waitFor(cli.stderr, /^run ([0-9a-f-]{36})$/m);
    await waitFor(cli.stderr, /\[=*>? *\] epoch|epoch 1\/200/);
    process.kill(-cli.child.pid!, 'SIGINT');
    expect(await cli.exited).toEqual({ code: 130, signal: null });
    expect(cli.stderr()).toMatch(/train cancelled; no checkpoint was written/);
    expect(runsIn(dataDir)).toEqual([{ id: runId, status: 'cancelled', error: null }]);
  });

  it('Ctrl-C during study run cancels the running run and stops the study (exit 130)', async () => {
    const dataDir = makeTempDir('cli-sigint-study');
    const config = path.join(dataDir, 'study.yaml');
    fs.writeFileSync(config, 'name: interrupted\ndataset: mnist\nmodel: mlp\noriginal: { epochs: 200, batchSize: 256 }\nforget: { kind: random, percent: 10 }\nmethods: [{ label: FT, method: ft }]\n');
    const cli = startCli(['study', 'run', config, '--data-dir', dataDir]);
    await waitFor(cli.stderr, /Original: train run [0-9a-f]{8} started/);
    process.kill(-cli.child.pid!, 'SIGINT');
    expect(await cli.exited).toEqual({ code: 130, signal: null });
    expect(cli.stderr()).toMatch(/Original: cancelled; the study stops/);
    expect(runsIn(dataDir).map((r) => r.status)).toEqual(['cancelled']);
  });

  it('stops writing quietly when the reader of its output goes away (lethe runs | head -1)', async () => {
    const cli = startCli(['runs', '--data-dir', makeTempDir('cli-epipe')], { closeStdout: true });
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toBe('');
  });

  it('SIGTERM to lethe serve during a run cancels the run and closes cleanly', async () => {
    const dataDir = makeTempDir('cli-serve-sigterm');
    const cli = startCli(['serve', '--json', '--data-dir', dataDir]);
    const [line] = await waitFor(cli.stdout, /^\{.*\}$/m);
    const { port, token } = JSON.parse(line) as { port: number; token: string };
    const call = async <T>(method: string, args: unknown[]): Promise<T> => {
      const response = await fetch(`http://127.0.0.1:${port}/api/call/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
        body: JSON.stringify(args),
      });
      return ((await response.json()) as { result: T }).result;
    };
    const run = await call<{ id: string }>('startTraining', [{ dataset: 'mnist', model: 'mlp', epochs: 200, batchSize: 256 }]);
    for (;;) {
      const listed = await call<{ id: string; status: string }[]>('listRuns', []);
      if (listed.find((r) => r.id === run.id)?.status === 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).not.toMatch(/database connection is not open|Error/);
    expect(runsIn(dataDir)).toEqual([{ id: run.id, status: 'cancelled', error: null }]);
  });
});
