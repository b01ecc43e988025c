import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const here = path.dirname(fileURLToPath(import.meta.url));

const nextConfig: NextConfig = {
  // Handoff and its database drivers run as plain Node modules, never bundled: they read their SQL,
  // migrations and templates from disk and load WASM/native files, and one module instance keeps one
  // connection pool per process. (Next.js ignores this list for symlinked packages: see .npmrc.)
  serverExternalPackages: ['handoff', 'pg', '@electric-sql/pglite', 'pino', 'prom-client'],
  // This example lives inside the Handoff repository, beside another lockfile: pin the app's root
  // so Next.js does not adopt the repository's. Your app does not need these two lines.
  turbopack: { root: here },
  outputFileTracingRoot: here,
};

export default nextConfig;
