export { createApp } from './app.js';
export type { AppDeps, Env } from './context.js';
