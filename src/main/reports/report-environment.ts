/** Where a report is made: the app's version and commit, and the versions of what runs it. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReportEnvironment } from './report-model.js';

/** The commit of the git checkout the app runs from, or null when it is not one (an installed app). */
function appCommit(): string | null {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function tfjsVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('@tensorflow/tfjs/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

export function reportEnvironment(appVersion: string, dataset: ReportEnvironment['dataset']): ReportEnvironment {
  return { appVersion, commit: appCommit(), versions: { node: process.versions.node, electron: process.versions.electron ?? null, tfjs: tfjsVersion() }, dataset };
}
