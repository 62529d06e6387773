import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BackendInfo } from '../../../shared/backend';
import type { RunSummary } from '../../../shared/catalog-types';
import type { DatasetOption, ModelOption } from '../../../shared/lethe-api';
import type { TrainConfigInput, TrainProgress } from '../../../shared/train-config';
import { api } from '../api/client';

const TERMINAL = new Set(['finished', 'failed', 'cancelled']);

/**
 * Runs and their live progress, kept current by service events; `changes` counts the
 * events after which a study or a run page may show something new (a run ended or was
 * deleted, or another process wrote to the catalog), so views refresh without a reload.
 */
export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([]);
  const progress = ref<Record<string, TrainProgress>>({});
  const datasets = ref<DatasetOption[]>([]);
  const models = ref<ModelOption[]>([]);
  const backend = ref<BackendInfo | null>(null);
  const error = ref<string | null>(null);
  const changes = ref(0);
  /** Runs picked for Compare (from Runs or a study). */
  const compareIds = ref<string[]>([]);
  let unsubscribe: (() => void) | null = null;

  async function reloadRuns(): Promise<void> {
    runs.value = await api.listRuns();
  }

  async function load(): Promise<void> {
    try {
      [runs.value, datasets.value, models.value] = await Promise.all([api.listRuns(), api.listDatasets(), api.listModels()]);
    } catch (e) {
      error.value = (e as Error).message;
    }
    void api.engineInfo().then(
      (info) => (backend.value = info),
      (e: Error) => (error.value = `the engine could not start: ${e.message}`),
    );
    unsubscribe ??= api.onEvent((event) => {
      if (event.type === 'run-progress') {
        progress.value = { ...progress.value, [event.runId]: event.progress };
      } else if (event.type === 'run-updated') {
        const rest = runs.value.filter((r) => r.id !== event.run.id);
        runs.value = event.run.deletedAt === null ? [event.run, ...rest].sort((a, b) => b.createdAt - a.createdAt) : rest;
        if (event.run.deletedAt !== null) compareIds.value = compareIds.value.filter((id) => id !== event.run.id);
        if (event.run.deletedAt !== null || TERMINAL.has(event.run.status)) changes.value++;
      } else if (event.type === 'catalog-changed') {
        void reloadRuns().then(() => {
          const live = new Set(runs.value.map((r) => r.id));
          compareIds.value = compareIds.value.filter((id) => live.has(id));
          changes.value++;
        });
      } else if (event.type === 'run-refused') {
        runs.value = runs.value.filter((r) => r.id !== event.runId);
        error.value = event.error;
      }
    });
  }

  async function start(config: TrainConfigInput): Promise<RunSummary> {
    const run = await api.startTraining(config);
    if (!runs.value.some((r) => r.id === run.id)) runs.value = [run, ...runs.value];
    return run;
  }

  return {
    runs,
    progress,
    datasets,
    models,
    backend,
    error,
    changes,
    compareIds,
    load,
    start,
    cancel: (id: string) => api.cancelRun(id),
    remove: (id: string) => api.deleteRun(id),
  };
});
