/**
 * The provider emulators live in src/sandbox/emulators (they are also `handoff start --sandbox`'s stand-ins
 * for real providers); tests import them from here.
 */
export * from '../../src/sandbox/emulators/index.js';
