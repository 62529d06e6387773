/**
 * One route per page. Hash history, so the same URLs work from file:// in the desktop
 * app and from the bridge in a browser, and a view can be linked and reloaded.
 */
import { createRouter, createWebHashHistory } from 'vue-router';
import CompareView from './views/CompareView.vue';
import DatasetsView from './views/DatasetsView.vue';
import ForgetSetsView from './views/ForgetSetsView.vue';
import RunsView from './views/RunsView.vue';
import RunView from './views/RunView.vue';
import StudiesView from './views/StudiesView.vue';
import StudyView from './views/StudyView.vue';
import TrainView from './views/TrainView.vue';
import UnlearnView from './views/UnlearnView.vue';
import StudyBuilderView from './views/StudyBuilderView.vue';

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/runs' },
    { path: '/runs', name: 'runs', component: RunsView, meta: { title: 'Runs' } },
    { path: '/runs/:id', name: 'run', component: RunView, props: true, meta: { title: 'Run' } },
    { path: '/studies', name: 'studies', component: StudiesView, meta: { title: 'Studies' } },
    { path: '/studies/:name', name: 'study', component: StudyView, props: true, meta: { title: 'Study' } },
    { path: '/compare', name: 'compare', component: CompareView, meta: { title: 'Compare' } },
    { path: '/train', name: 'train', component: TrainView, meta: { title: 'Train' } },
    { path: '/datasets', name: 'datasets', component: DatasetsView, meta: { title: 'Datasets' } },
    { path: '/forget-sets', name: 'forget-sets', component: ForgetSetsView, meta: { title: 'Forget sets' } },
    { path: '/unlearn', name: 'unlearn', component: UnlearnView, meta: { title: 'Unlearn' } },
    { path: '/study-builder', name: 'study-builder', component: StudyBuilderView, meta: { title: 'New study' } },
    { path: '/:unknown(.*)', redirect: '/runs' },
  ],
});

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? '')} · Lethe`;
});
