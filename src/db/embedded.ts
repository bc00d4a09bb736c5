// The embedded default database: PGlite (Postgres compiled to WebAssembly) kept in a directory and
// served over the Postgres wire protocol by pglite-socket on 127.0.0.1, so the service's one
// `pg`/adapter-pg code path (and the migration runner) serves it exactly like a real PostgreSQL.
//
// PGlite and its socket server run in a worker thread:
// - PGlite executes each query synchronously in WebAssembly; on the main thread that would stall
//   HTTP handling for every query (and for the seconds of a first start).
// - PGlite's CommonJS build loads its parts with `await import(...)`, which Jest's module sandbox
//   rejects unless Node runs with --experimental-vm-modules. A worker is plain Node.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { isErrnoCode } from '../errno';

/**
 * Pool size every client of the embedded database must use.
 *
 * PGlite is ONE Postgres session: all socket connections share it (transactions, prepared
 * statements, settings). pglite-socket queues wire messages one at a time, so two connections
 * used concurrently interleave their Parse/Bind/Execute messages; measured here, a pool of 2+
 * occasionally fails with "bind message supplies 2 parameters, but prepared statement "" requires
 * 1", and named statements collide ("prepared statement ... already exists").
 */
export const EMBEDDED_POOL_MAX = 1;

/**
 * Connections the socket server accepts at once. More than the pool's 1 because pg-pool throws
 * a client away after a failed query and connects a new one before the server has seen the old
 * socket close; with a limit of 1 that new connection is refused ("Connection terminated
 * unexpectedly") and every later query fails. A few also let a short-lived second pool (the
 * migration runner) close while the service's pool opens.
 */
const SERVER_MAX_CONNECTIONS = 4;

export interface EmbeddedDatabase {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres?sslmode=disable`; use with a pool of EMBEDDED_POOL_MAX. */
  url: string;
  /**
   * Stops the socket server, closes PGlite and releases the directory lock. Idempotent. End your
   * pools first (their idle connections get cut). Until then the database worker keeps the process alive.
   */
  close(): Promise<void>;
}

/** The data directory is held by another live process (or by this one). */
export class EmbeddedDatabaseLockedError extends Error {
  override name = 'EmbeddedDatabaseLockedError';

  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
    readonly holderHost?: string,
  ) {
    super(
      holderHost === undefined
        ? `the embedded database in ${dataDir} is in use by process ${holderPid}; stop it or set DATABASE_URL`
        : `the embedded database in ${dataDir} is in use by process ${holderPid} on host ${holderHost}; ` +
            `stop it (or delete ${lockPathOf(dataDir)} if it is gone) or set DATABASE_URL`,
    );
  }
}

export async function startEmbeddedDatabase(options: {
  dataDir: string;
  log?: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => {});
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // One canonical name per directory, so a symlinked path cannot get a second lock.
  const dataDir = fs.realpathSync(options.dataDir);
  const releaseLock = acquireLock(dataDir);

  const started = performance.now();
  const created = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  let worker: Worker;
  let port: number;
  try {
    ({ worker, port } = await startWorker(dataDir, log));
  } catch (error) {
    releaseLock();
    throw error;
  }
  let exited = false;
  worker.once('exit', () => (exited = true));

  // pglite-socket accepts any user/database name and no TLS (it answers the SSL request with 'N');
  // sslmode=disable keeps a PGSSLMODE=require in the environment from breaking the connection.
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  log(
    `embedded database ${created ? 'created' : 'opened'} in ${Math.round(performance.now() - started)} ms: ` +
      `${dataDir} on 127.0.0.1:${port}`,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        const closeStarted = performance.now();
        try {
          if (!exited) {
            const closed = nextMessage(worker);
            worker.postMessage({ type: 'close' } satisfies ToWorker);
            const reply = await closed;
            if (reply.type === 'failed') log(`embedded database: close failed: ${reply.message}`);
            await worker.terminate();
          }
        } finally {
          releaseLock();
        }
        log(`embedded database closed in ${Math.round(performance.now() - closeStarted)} ms`);
      })();
      return closing;
    },
  };
}

// ---- Worker -----------------------------------------------------------------------------------

type ToWorker = { type: 'close' };
type FromWorker =
  | { type: 'ready'; port: number }
  | { type: 'closed' }
  | { type: 'log'; message: string }
  | { type: 'failed'; message: string };

interface WorkerData {
  dataDir: string;
  maxConnections: number;
  modules: { pglite: string; citext: string; socket: string };
}

// Plain JavaScript run by `new Worker(..., { eval: true })`: nothing to compile or ship next to
// the build. Module paths come resolved from the main thread, so the worker's cwd does not matter.
//
// Real Postgres gives each connection a fresh session; PGlite keeps one for its lifetime, so a
// connection opened by pg-pool after a failed query would find the named statements of the one
// it replaces and fail with "prepared statement ... already exists". DEALLOCATE ALL on each new
// connection runs before its first message reaches PGlite (they queue on the same mutex).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.modules.pglite);
const { citext } = require(workerData.modules.citext);
const { PGLiteSocketServer } = require(workerData.modules.socket);
const describe = (error) => String((error && error.stack) || error);
(async () => {
  const db = await PGlite.create({ dataDir: workerData.dataDir, extensions: { citext } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
  server.addEventListener('connection', () => {
    db.exec('DEALLOCATE ALL').catch((error) =>
      parentPort.postMessage({ type: 'log', message: 'embedded database: session reset failed: ' + describe(error) }));
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  parentPort.once('message', async () => {
    try {
      await server.stop();
      // stop() detaches its connections without awaiting them; a detach may still roll back a
      // transaction left open by a client, which must reach PGlite before it closes.
      await new Promise((resolve) => setImmediate(resolve));
      await db.close();
      parentPort.postMessage({ type: 'closed' });
    } catch (error) {
      parentPort.postMessage({ type: 'failed', message: describe(error) });
    }
  });
  parentPort.postMessage({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) });
})().catch((error) => parentPort.postMessage({ type: 'failed', message: describe(error) }));
`;

async function startWorker(dataDir: string, log: (msg: string) => void): Promise<{ worker: Worker; port: number }> {
  const workerData: WorkerData = {
    dataDir,
    maxConnections: SERVER_MAX_CONNECTIONS,
    modules: {
      pglite: require.resolve('@electric-sql/pglite'),
      citext: require.resolve('@electric-sql/pglite/contrib/citext'),
      socket: require.resolve('@electric-sql/pglite-socket'),
    },
  };
  // execArgv: [] so the worker does not inherit -r @swc-node/register, --watch and the like.
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData });
  // Without a listener, an 'error' event (a crash inside the worker) would crash the service too.
  worker.on('error', (error) => log(`embedded database: worker failed: ${error.stack ?? String(error)}`));
  worker.on('message', (msg: FromWorker) => {
    if (msg.type === 'log') log(msg.message);
  });
  const first = await nextMessage(worker);
  if (first.type === 'ready') return { worker, port: first.port };
  await worker.terminate();
  const reason = first.type === 'failed' ? first.message : `unexpected message ${first.type}`;
  throw new Error(`could not start the embedded database in ${dataDir}: ${reason}`);
}

/** The worker's next reply other than a log line; a worker that dies first counts as failed. */
function nextMessage(worker: Worker): Promise<Exclude<FromWorker, { type: 'log' }>> {
  return new Promise((resolve) => {
    const onMessage = (msg: FromWorker) => {
      if (msg.type === 'log') return;
      cleanup();
      resolve(msg);
    };
    const onError = (error: Error) => {
      cleanup();
      resolve({ type: 'failed', message: error.stack ?? String(error) });
    };
    const onExit = (code: number) => {
      cleanup();
      resolve({ type: 'failed', message: `the database worker exited with code ${code}` });
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
}

// ---- Directory lock ---------------------------------------------------------------------------
// PGlite does not lock its directory, and two processes writing one data directory corrupt it.
// The lock is a file `<dataDir>.lock` next to the directory (initdb wants its own directory to
// itself) holding "<pid>\n<hostname>\n", created with O_EXCL. Not proper-lockfile: it decides
// staleness by mtime, refreshed by a timer, so a crashed holder blocks restarts for its stale
// period, the message cannot name a pid, and PGlite's long synchronous WebAssembly work can
// starve the timer and make the lock look "compromised". A pid is exact on one host: a lock
// whose process is gone is taken over at once. A lock written on another host (e.g. a container
// sharing the volume) cannot be checked, so it is respected and the message says which file to
// delete.

const heldLocks = new Set<string>();
let exitHookInstalled = false;

function lockPathOf(dataDir: string): string {
  return `${dataDir}.lock`;
}

interface LockHolder {
  pid: number;
  host?: string;
}

/** Takes the lock on `dataDir` (a canonical path) or throws EmbeddedDatabaseLockedError; returns an idempotent release. */
function acquireLock(dataDir: string): () => void {
  const lockPath = lockPathOf(dataDir);
  if (heldLocks.has(lockPath)) throw new EmbeddedDatabaseLockedError(dataDir, process.pid);
  const content = `${process.pid}\n${os.hostname()}\n`;

  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      try {
        fs.writeSync(fd, content);
      } finally {
        fs.closeSync(fd);
      }
      heldLocks.add(lockPath);
      installExitHook();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldLocks.delete(lockPath);
        // Only delete our own file: never one someone else wrote after judging ours stale.
        if (readLock(lockPath) === content) fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if (!isErrnoCode(error, 'EEXIST')) throw error;
    }

    const raw = readLock(lockPath);
    if (raw === undefined) continue; // removed meanwhile: try again
    const holder = parseLock(raw);
    if (!holder) {
      // Created but not written yet, or its writer died in between: give it a moment first.
      if (attempt < 3) {
        sleepSync(20);
        continue;
      }
    } else if (holder.host !== undefined && holder.host !== os.hostname()) {
      throw new EmbeddedDatabaseLockedError(dataDir, holder.pid, holder.host);
    } else if (isAlive(holder.pid)) {
      throw new EmbeddedDatabaseLockedError(dataDir, holder.pid);
    }
    removeStaleLock(lockPath, raw);
  }
  throw new Error(`could not lock the embedded database in ${dataDir} (${lockPath} keeps changing)`);
}

/**
 * Removes the stale lock `raw` without racing another process doing the same: unlinking by name
 * could delete a fresh lock written in between. Renaming is atomic, so we check what we moved
 * and put back a lock that turns out not to be the stale one.
 */
function removeStaleLock(lockPath: string, raw: string): void {
  const aside = `${lockPath}.${process.pid}.${randomUUID()}.stale`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return;
    throw error;
  }
  try {
    if (readLock(aside) !== raw) {
      try {
        fs.linkSync(aside, lockPath); // fails if the place was taken again: then that lock stands
      } catch {
        // nothing to restore
      }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function readLock(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function parseLock(raw: string): LockHolder | undefined {
  const [pidLine, hostLine] = raw.split('\n');
  const pid = Number(pidLine);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return hostLine ? { pid, host: hostLine } : { pid };
}

function isAlive(pid: number): boolean {
  // Our own pid without the lock in heldLocks is an earlier life of this pid (a restarted
  // container is pid 1 again), not us.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrnoCode(error, 'EPERM'); // exists, owned by another user
  }
}

/** A process that exits without close() leaves no lock behind (a killed one leaves a stale one). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    const mine = `${process.pid}\n${os.hostname()}\n`;
    for (const lockPath of heldLocks) {
      try {
        if (readLock(lockPath) === mine) fs.rmSync(lockPath, { force: true });
      } catch {
        // exiting anyway
      }
    }
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
