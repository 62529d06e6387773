import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DropKind } from '../../../shared/dropped-files';
import type { DroppedFile } from '../api/dropped-files';

/**
 * The last files dropped on the window, handed from the drop overlay to the page that
 * acts on them (Datasets for an import, Forget sets for a list or images), and the
 * refusal of a drop nothing can act on.
 */
export const useDropsStore = defineStore('drops', () => {
  const pending = ref<{ kind: DropKind; description: string; files: DroppedFile[] } | null>(null);
  const refusal = ref<string | null>(null);
  return {
    pending,
    refusal,
    /** The pending drop if it is of one of `kinds`, now the caller's. */
    take(kinds: readonly DropKind[]) {
      const taken = pending.value;
      if (!taken || !kinds.includes(taken.kind)) return null;
      pending.value = null;
      return taken;
    },
  };
});
