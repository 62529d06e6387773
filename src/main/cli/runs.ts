/** `lethe runs`: lists, shows and soft-deletes recorded runs. */
import { formatDuration } from '../../shared/format.js';
import { defineCommand, formatTime, UsageError, withService, type OptionSpecs, type Output, type Values } from './command.js';

const HELP = `Usage: lethe runs [list] [--json]
       lethe runs show ID [--json]
       lethe runs rm ID

Every training run is recorded in the catalog (<data-dir>/catalog.sqlite) with its
config, status, backend, per-epoch metrics and checkpoint. IDs may be shortened to
a unique prefix. rm is a soft delete; lethe purge removes deleted runs for good.`;

const OPTIONS = {} satisfies OptionSpecs;

type RunsValues = Values<typeof OPTIONS>;

async function handle(values: RunsValues, io: Output, [action = 'list', id]: string[]): Promise<number> {
  return withService(values, async (service) => {
    if (action === 'list') {
      const runs = await service.listRuns();
      if (values.json) {
        io.out(JSON.stringify(runs, null, 2));
        return 0;
      }
      if (runs.length === 0) io.out('no runs yet (start one with lethe train)');
      for (const r of runs) {
        const acc = r.latestMetrics.test_accuracy;
        io.out(
          `${r.id.slice(0, 8)}  ${r.status.padEnd(9)} ${r.kind.padEnd(6)} ${String(r.dataset).padEnd(13)} ${String(r.model).padEnd(8)} ` +
            `${(r.backend ?? '-').padEnd(6)} test acc ${acc === undefined ? '-' : (100 * acc).toFixed(2) + '%'}  ${formatTime(r.createdAt)}` +
            `  ${r.durationSeconds === null ? '' : formatDuration(r.durationSeconds)}`,
        );
      }
      return 0;
    }
    if (!id) throw new UsageError(`lethe runs ${action} needs a run id (see lethe runs --help)`);
    if (action === 'show') {
      const run = await service.getRun(id);
      if (values.json) {
        io.out(JSON.stringify(run, null, 2));
        return 0;
      }
      io.out(`run ${run.id}\n  ${run.kind} ${run.status}${run.error ? `: ${run.error}` : ''}`);
      io.out(`  dataset ${run.dataset}  model ${run.model}  seed ${run.seed}  backend ${run.backend ?? '-'} (${run.device ?? '-'})`);
      io.out(`  created ${formatTime(run.createdAt)}  started ${formatTime(run.startedAt)}  finished ${formatTime(run.finishedAt)}`);
      io.out(`  config ${JSON.stringify(run.config)}`);
      for (const [key, points] of Object.entries(run.metrics)) {
        io.out(`  ${key.padEnd(16)} ${points.map((p) => `${p.step}:${Number(p.value.toPrecision(4))}`).join('  ')}`);
      }
      for (const c of run.checkpoints) io.out(`  checkpoint ${c.hash} (${c.role})\n    ${c.path}`);
      return 0;
    }
    if (action === 'rm') {
      await service.deleteRun(id);
      io.out(`deleted run ${id} (lethe purge removes it and its files for good)`);
      return 0;
    }
    throw new UsageError(`unknown runs action '${action}': use list, show or rm`);
  });
}

export const runsCommand = defineCommand({
  name: 'runs',
  summary: 'list, show or delete recorded runs: lethe runs list|show ID|rm ID',
  help: HELP,
  options: OPTIONS,
  positionals: 2,
  run: handle,
});
