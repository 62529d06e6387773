#!/usr/bin/env node
/**
 * Builds Lethe's native kernels (native/, an N-API addon over Debian's oneDNN) with the
 * node-gyp that npm ships. Run by `npm ci` (postinstall): where oneDNN's headers or a
 * compiler are missing it explains and leaves the install alone, and training runs on
 * the wasm backend's own kernels. `--strict` (npm run build:native) fails instead.
 * Headers for Node come from the local installation when it has them (no download).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const native = path.join(root, 'native');

function giveUp(reason) {
  const advice = 'training runs on the wasm backend\'s own kernels; on Debian: apt-get install g++ make libdnnl-dev, then npm run build:native';
  console.error(`lethe: native kernels not built: ${reason} (${advice})`);
  process.exit(strict ? 1 : 0);
}

const includeDirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
if (!includeDirs.some((dir) => fs.existsSync(path.join(dir, 'dnnl.hpp')))) giveUp('oneDNN headers (dnnl.hpp) not found');

const bundledGyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const nodeGyp = [process.env.npm_config_node_gyp, bundledGyp].find((file) => file && fs.existsSync(file));
if (!nodeGyp) giveUp('node-gyp not found (it ships with npm)');

const args = [nodeGyp, 'rebuild', '--directory', native];
// Use this Node's own headers where they are installed, rather than downloading them.
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const build = spawnSync(process.execPath, args, { encoding: 'utf8' });
if (build.status !== 0) {
  const lines = `${build.stdout}\n${build.stderr}`.split('\n').filter((l) => /error|Error|ERR/.test(l)).slice(-5);
  giveUp(`node-gyp failed:\n  ${lines.join('\n  ')}`);
}
console.log(`lethe: native kernels built (${path.relative(root, path.join(native, 'build', 'Release', 'lethe_native.node'))})`);
