/** The seeded generator lives in src/shared so the window's statistics (bootstrap) draw from the same one. */
export { Random } from '../../shared/random.js';
