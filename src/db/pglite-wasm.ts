import v8 from 'node:v8';

/**
 * For a long-running process on embedded PGlite: V8 compiles PGlite's WebAssembly once, with its optimising
 * compiler only. By default it compiles every function with the Liftoff baseline tier first, re-compiles the hot
 * ones with TurboFan and keeps both. Measured on `handoff start` (benchmark VM): idle peak RSS 268–282 → 219 MB,
 * 310–319 → 260–264 MB under 700 events/s, server CPU per event −5 %; start-up on an existing data dir 0.7 → 1.9 s.
 * Short commands (jobs, trace, migrate, …) keep the default and its fast start.
 * Must run before the process's first PGlite instance compiles the module: V8 reads the flag at compile time.
 */
export function compilePgliteOptimized(): void {
  v8.setFlagsFromString('--no-liftoff');
}
