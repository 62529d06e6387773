import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { JobList } from '../../../shared/jobs';
import { api } from '../api/client';

/** The jobs panel's list: loaded once, then replaced by every `jobs-changed` event (no polling). */
export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<JobList>({ active: [], failures: [] });
  const error = ref<string | null>(null);
  let unsubscribe: (() => void) | null = null;

  async function load(): Promise<void> {
    unsubscribe ??= api.onEvent((event) => {
      if (event.type === 'jobs-changed') jobs.value = event.jobs;
    });
    try {
      jobs.value = await api.listJobs();
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  async function cancel(id: string): Promise<void> {
    try {
      await api.cancelJob(id);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  return { jobs, error, load, cancel };
});
