import type { LetheApi } from '../../../shared/lethe-api';
import { createHttpApi } from './http-api';

/** window.lethe in the desktop app (preload), the HTTP bridge in a browser. */
export const api: LetheApi = window.lethe ?? createHttpApi();
