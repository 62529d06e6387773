import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BackendInfo } from '../../../shared/backend';
import type { RunDetail, RunSummary } from '../../../shared/catalog-types';
import type { DatasetOption, ModelOption } from '../../../shared/lethe-api';
import type { TrainConfigInput, TrainProgress } from '../../../shared/train-config';
import { api } from '../api/client';

/** Runs, their live progress and the selected run's details, kept current by service events. */
export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([]);
  const progress = ref<Record<string, TrainProgress>>({});
  const selected = ref<RunDetail | null>(null);
  const datasets = ref<DatasetOption[]>([]);
  const models = ref<ModelOption[]>([]);
  const backend = ref<BackendInfo | null>(null);
  const error = ref<string | null>(null);
  let unsubscribe: (() => void) | null = null;

  async function refreshSelected(id: string): Promise<void> {
    if (selected.value?.id === id) selected.value = await api.getRun(id);
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
        void refreshSelected(event.run.id);
      } else if (event.type === 'run-refused') {
        runs.value = runs.value.filter((r) => r.id !== event.runId);
        error.value = event.error;
      }
    });
  }

  async function select(id: string | null): Promise<void> {
    selected.value = id ? await api.getRun(id) : null;
  }

  async function start(config: TrainConfigInput): Promise<RunSummary> {
    const run = await api.startTraining(config);
    if (!runs.value.some((r) => r.id === run.id)) runs.value = [run, ...runs.value];
    return run;
  }

  return {
    runs,
    progress,
    selected,
    datasets,
    models,
    backend,
    error,
    load,
    select,
    start,
    cancel: (id: string) => api.cancelRun(id),
    remove: (id: string) => api.deleteRun(id),
  };
});
