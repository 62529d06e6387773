import type { LetheApi } from '../../shared/lethe-api';

declare global {
  interface Window {
    lethe: LetheApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

export {};
