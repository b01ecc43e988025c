export { dashboardRoutes } from './routes.js';
export { SESSION_TTL_MS, COOKIE_NAME } from './session.js';
