#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader; the engine process it forks does the same.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
