import Aura from '@primeuix/themes/aura';
import { createPinia } from 'pinia';
import PrimeVue from 'primevue/config';
import ToastService from 'primevue/toastservice';
import Tooltip from 'primevue/tooltip';
import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router';

createApp(App)
  .use(createPinia())
  .use(router)
  // Light theme only; styles are injected as <style> elements (the CSP allows inline styles, no fonts or CDN).
  // A Panel's content sits in a grid cell (for its collapse animation), which would otherwise grow to its widest chart or table.
  .use(PrimeVue, { theme: { preset: Aura, options: { darkModeSelector: false } }, pt: { panel: { contentWrapper: { style: { minWidth: 0 } } } } })
  .use(ToastService)
  .directive('tooltip', Tooltip)
  .mount('#app');
