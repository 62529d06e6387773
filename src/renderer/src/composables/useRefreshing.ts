/**
 * Data that a view loads from the service and reloads when its inputs change or the
 * service reports something new (see the runs store's `changes`), with the last error.
 */
import { ref, watch, type Ref, type WatchSource } from 'vue';
import { useRunsStore } from '../stores/runs';

export function useRefreshing<T>(load: () => Promise<T>, inputs: WatchSource[] = []): { data: Ref<T | null>; error: Ref<string | null>; loading: Ref<boolean>; reload: () => Promise<void> } {
  const store = useRunsStore();
  const data = ref<T | null>(null) as Ref<T | null>;
  const error = ref<string | null>(null);
  const loading = ref(false);
  let generation = 0;
  async function reload(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    try {
      const value = await load();
      if (mine !== generation) return;
      data.value = value;
      error.value = null;
    } catch (e) {
      if (mine !== generation) return;
      error.value = (e as Error).message;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }
  watch([...inputs, () => store.changes], () => void reload(), { immediate: true });
  return { data, error, loading, reload };
}
