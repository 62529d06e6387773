import type { DesktopLetheApi } from '../../shared/lethe-api';

declare global {
  interface Window {
    /** Present in the desktop app (preload); absent in a plain browser. */
    lethe?: DesktopLetheApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

export {};
