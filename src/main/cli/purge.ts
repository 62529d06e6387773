/** `lethe purge`: removes deleted runs for good, with the files no run refers to. */
import { defineCommand, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe purge [--json]

Removes soft-deleted runs with their metrics and checkpoint records, then every
folder under <data-dir>/checkpoints and <data-dir>/artifacts that no recorded run
refers to (left by interrupted jobs). Files younger than 5 minutes are kept, as a
job in another process may not have recorded them yet.`;

const OPTIONS = {} satisfies OptionSpecs;

type PurgeValues = Values<typeof OPTIONS>;

async function handle(values: PurgeValues, io: Output): Promise<number> {
  return withService(values, async (_service, catalog) => {
    const report = catalog.purge();
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`purged ${report.runs} deleted run(s) and ${report.checkpoints} checkpoint record(s)`);
      for (const p of report.removedPaths) io.out(`  removed ${p}`);
    }
    return 0;
  });
}

export const purgeCommand = defineCommand({
  name: 'purge',
  summary: 'remove deleted runs for good, with files no run refers to',
  help: HELP,
  options: OPTIONS,
  positionals: 0,
  run: handle,
});
