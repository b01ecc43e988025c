/** Sandbox mode and the demo: local stand-ins for every provider (see sandbox.ts for the rules). */
export { configuredConnectors, startSandbox, type Sandbox, type SandboxProvider } from './sandbox.js';
export { demoScript, sendDemo, type DemoStep, type DemoTarget } from './demo.js';
