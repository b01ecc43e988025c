import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian/Ubuntu put PostgreSQL 15's server binaries; PG_BIN overrides. */
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A private PostgreSQL cluster in a temp dir on a free port, for tests that stop and restart the SERVER
 * (never the shared one on 5432: other suites run on it). Trust auth on 127.0.0.1, socket in the temp dir.
 * initdb refuses to run as root, so as root every server command runs as `postgres` (runuser) and the temp
 * dir is handed to that user. `stop()` removes everything; it is also run at process exit, so a failed or
 * interrupted test leaves no server or directory behind.
 */
export interface PrivateCluster {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<db> */
  url(db?: string): string;
  /** Stops the server (`fast` ends sessions cleanly, `immediate` is a crash: recovery on start). */
  down(mode: 'fast' | 'immediate'): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-pgcluster-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (asRoot) {
    const { uid, gid } = pgUser();
    chownSync(dir, uid, gid);
  }
  const cmd = (bin: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, bin), ...args]] : [path.join(BIN, bin), args]);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60`;
  let removed = false;
  const removeSync = () => {
    if (removed) return;
    removed = true;
    try {
      execFileSync(...cmd('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeSync);
  try {
    await run(...cmd('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']));
    const up = async () => void (await run(...cmd('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start'])));
    await up();
    return {
      port,
      url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
      down: async (mode) => void (await run(...cmd('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']))),
      up,
      stop: async () => {
        process.off('exit', removeSync);
        removeSync();
      },
    };
  } catch (err) {
    process.off('exit', removeSync);
    removeSync();
    throw err;
  }
}

function pgUser(): { uid: number; gid: number } {
  const [uid, gid] = execFileSync('sh', ['-c', 'id -u postgres; id -g postgres'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  return { uid: uid!, gid: gid! };
}
