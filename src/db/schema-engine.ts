// The Prisma schema engine (what `prisma migrate` runs), compiled to WebAssembly and published as
// @prisma/schema-engine-wasm: the one place that knows how that package is loaded and driven, so
// a Prisma upgrade that changes it breaks here, loudly (checkSchemaEngine, run by a test and before
// every use), and nowhere else.
//
// How it is loaded, and why:
// - The package's entry imports its .wasm file as an ES module, which only bundlers (or Node with
//   --experimental-wasm-modules) can do. Its other public export, `./schema_engine_bg`, is the
//   wasm-bindgen glue: an ordinary ES module that Node 20.19+ loads with require(). The .wasm
//   file beside it is compiled here and instantiated with the glue's functions as its imports,
//   exactly what the entry does, plus three hooks (see instantiate()).
// - The glue keeps its instance in module state, so a process has one engine instance, and calls
//   run one at a time. A Rust panic leaves an instance unusable: the engine then refuses further
//   work with the panic's message (a restart gets a fresh one; migrations run at start-up or from
//   the CLI, so that is rarely more than a failed command).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type * as EngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg' with { 'resolution-mode': 'import' };
import type { SchemaEngine } from '@prisma/schema-engine-wasm' with { 'resolution-mode': 'import' };
import pg from 'pg';

export type { SchemaEngine };

const PACKAGE = '@prisma/schema-engine-wasm';
const GLUE = `${PACKAGE}/schema_engine_bg`;
const WASM_FILE = 'schema_engine_bg.wasm';
// The module name under which the wasm imports the glue's functions.
const GLUE_IMPORT_MODULE = './schema_engine_bg.js';
// Glue functions replaced by hooks (by name prefix: the suffix is a hash that changes with builds).
const HOOKED_IMPORTS = ['__wbg_setTimeout_', '__wbg_set_message_', '__wbg_then_', '__wbg_queueMicrotask_'] as const;
// Postgres type ids: the internal one-byte "char" and plain text.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type Glue = typeof EngineGlue;

// TypeScript declares WebAssembly only in the DOM lib, which this Node project does not load:
// type the little used here.
interface WasmModule {
  readonly __wasmModule: unique symbol;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(module: WasmModule): { module: string; name: string; kind: string }[] };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What checkSchemaEngine found. */
export interface SchemaEngineInfo {
  /** The package version, e.g. 7.10.0-4.<engine commit>. */
  packageVersion: string;
  /** The engine's own version (its commit). */
  engineVersion: string;
}

/** The installed schema engine no longer has the shape this driver relies on. */
export class SchemaEngineMismatchError extends Error {
  constructor(problems: string[], packageVersion: string) {
    super(
      `${PACKAGE} ${packageVersion} does not match the driver in src/db/schema-engine.ts: ${problems.join('; ')}. ` +
        'Migrations cannot run until that driver is adapted to this Prisma version (or Prisma is pinned back).',
    );
    this.name = 'SchemaEngineMismatchError';
  }
}

interface Loaded {
  glue: Glue;
  module: WasmModule;
  packageVersion: string;
}

let loaded: Loaded | undefined;

/** The glue and the compiled module (compiling the 5 MB module is the expensive part), once per process. */
function load(): Loaded {
  if (!loaded) {
    const gluePath = require.resolve(GLUE);
    // Plain require(): Node 20.19+ loads ES modules with it (and Jest transforms this package).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const glue = require(GLUE) as Glue;
    const packageJson = JSON.parse(readFileSync(path.join(path.dirname(gluePath), 'package.json'), 'utf8')) as { version: string };
    loaded = {
      glue,
      module: new Wasm.Module(readFileSync(path.join(path.dirname(gluePath), WASM_FILE))),
      packageVersion: packageJson.version,
    };
  }
  return loaded;
}

/**
 * Checks that the installed engine has every export and import this driver uses, and answers its
 * versions; throws SchemaEngineMismatchError, naming each missing piece, when it does not.
 */
export function checkSchemaEngine(): SchemaEngineInfo {
  instance ??= instantiate();
  const { glue, packageVersion } = load();
  return { packageVersion, engineVersion: glue.version() };
}

function checkShape(): void {
  const { glue, module, packageVersion } = load();
  const exported = glue as unknown as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of ['__wbg_set_wasm', 'version', 'SchemaEngine'] as const) {
    if (typeof exported[name] !== 'function') problems.push(`the glue exports no function ${name}`);
  }
  if (typeof (exported.SchemaEngine as { new?: unknown } | undefined)?.new !== 'function') {
    problems.push('SchemaEngine has no static new()');
  }
  const engineMethods = ['applyMigrations', 'diff', 'free'];
  const prototype = (exported.SchemaEngine as { prototype?: Record<string, unknown> } | undefined)?.prototype ?? {};
  for (const method of engineMethods) {
    if (typeof prototype[method] !== 'function') problems.push(`SchemaEngine has no method ${method}()`);
  }
  const imports = Wasm.Module.imports(module);
  for (const { module: from, name } of imports) {
    if (from !== GLUE_IMPORT_MODULE) problems.push(`the wasm imports from ${from}, not ${GLUE_IMPORT_MODULE}`);
    else if (typeof exported[name] !== 'function') problems.push(`the glue does not provide the wasm import ${name}`);
  }
  for (const prefix of HOOKED_IMPORTS) {
    if (!imports.some(({ name }) => name.startsWith(prefix))) problems.push(`the wasm imports no ${prefix}* function to hook`);
  }
  if (problems.length) throw new SchemaEngineMismatchError([...new Set(problems)], packageVersion);
}

interface Instance {
  glue: Glue;
  /** Where a panic inside a callback goes: the running call's reject. */
  fail: (error: unknown) => void;
  /** The message of the panic that broke this instance, if any. */
  panicMessage: string | undefined;
}

let instance: Instance | undefined;
/** The tail of the calls waiting for the engine: one at a time. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * The process's engine instance. Three hooks on the glue's functions:
 * - the engine arms a 10 s timer (its advisory-lock timeout) and never clears it: unref'd, it no
 *   longer keeps the process alive after the work is done;
 * - on panic the glue writes the message to a global registry that only Prisma's CLI installs:
 *   it is kept here instead, to put it in the error;
 * - Rust code resumed from JS scheduling (promise callbacks, microtasks, timers) has no caller to
 *   report to: a panic there would be an uncaught exception that kills the process. Those
 *   callbacks are guarded and fail the running call instead.
 */
function instantiate(): Instance {
  checkShape();
  const { glue, module } = load();
  const state: Instance = { glue, fail: () => {}, panicMessage: undefined };
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, original] of Object.entries(glue)) {
    if (typeof original !== 'function') continue;
    if (name.startsWith('__wbg_setTimeout_')) {
      imports[name] = (callback: () => void, ms: number) => setTimeout(guard(callback, state), ms >>> 0).unref();
    } else if (name.startsWith('__wbg_set_message_')) {
      imports[name] = (ptr: number, len: number) => {
        const memory = wasm.exports.memory as { buffer: ArrayBuffer };
        state.panicMessage = new TextDecoder().decode(new Uint8Array(memory.buffer, ptr >>> 0, len >>> 0));
      };
    } else if (name.startsWith('__wbg_then_') || name.startsWith('__wbg_queueMicrotask_')) {
      const schedule = original as (...args: unknown[]) => unknown;
      imports[name] = (...args: unknown[]): unknown => schedule(...args.map((arg) => guard(arg, state)));
    }
  }
  const wasm = new Wasm.Instance(module, { [GLUE_IMPORT_MODULE]: imports });
  glue.__wbg_set_wasm(wasm.exports);
  (wasm.exports.__wbindgen_start as () => void)();
  return state;
}

/** `value`, if a function, made to pass anything it throws to the running call instead. */
function guard<T>(value: T, state: Instance): T {
  if (typeof value !== 'function') return value;
  const callback = value as (...args: unknown[]) => unknown;
  return ((...args: unknown[]): unknown => {
    try {
      return callback(...args);
    } catch (error) {
      state.fail(error);
      return undefined;
    }
  }) as T;
}

export interface EngineContext {
  mainUrl: string;
  shadowUrl?: string;
  log: (msg: string) => void;
}

/** Runs `work` with an engine connected to `mainUrl` (and `shadowUrl`, for a diff); one call at a time. */
export function withEngine<T>(context: EngineContext, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const run = queue.then(() => runEngine(context, work));
  queue = run.catch(() => {});
  return run;
}

async function runEngine<T>(context: EngineContext, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  instance ??= instantiate();
  const state = instance;
  if (state.panicMessage) {
    throw new Error(`The Prisma schema engine panicked earlier in this process (${state.panicMessage}); restart it to migrate again`);
  }
  const failed = new Promise<never>((_resolve, reject) => {
    state.fail = reject;
  });
  failed.catch(() => {}); // Only meaningful while the call races it.
  const adapters = new PgMigrationAdapterFactory(context.mainUrl, context.shadowUrl);
  let engine: SchemaEngine | undefined;
  try {
    engine = await Promise.race([
      state.glue.SchemaEngine.new(
        { datamodels: undefined },
        (line: string) => forwardEngineLog(line, context.log),
        bindMigrationAwareSqlAdapterFactory(adapters),
      ),
      failed,
    ]);
    return await Promise.race([work(engine), failed]);
  } catch (error) {
    throw toError(error, state.panicMessage);
  } finally {
    state.fail = () => {};
    // After a panic the instance may trap again: it is garbage either way.
    if (!state.panicMessage) engine?.free();
    await adapters.close();
  }
}

/** The engine logs JSON lines (tracing events); pass on warnings and errors only. */
function forwardEngineLog(line: string, log: (msg: string) => void): void {
  try {
    const event = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    if ((event.level === 'WARN' || event.level === 'ERROR') && event.fields?.message) {
      log(`schema engine: ${event.fields.message}`);
    }
  } catch {
    // Not JSON: nothing worth surfacing.
  }
}

/** Engine failures arrive as plain objects ({ message, error_code, ... }); make them Errors. */
function toError(error: unknown, panicMessage: string | undefined): Error {
  if (panicMessage) return new Error(`Prisma schema engine panicked: ${panicMessage}`, { cause: error });
  if (error instanceof Error) return error;
  if (typeof error === 'object' && error !== null) {
    const { message, error_code: code } = error as { message?: unknown; error_code?: unknown };
    if (typeof message === 'string') {
      return new Error(typeof code === 'string' ? `${code}: ${message}` : message, { cause: error });
    }
  }
  return new Error(`Prisma schema engine failed: ${String(error)}`, { cause: error });
}

// ---------------------------------------------------------------------------------------------
// Driver adapter: adapter-pg with the fixes the schema engine needs.

/**
 * adapter-pg's own factory is not used as is, for three reasons:
 * - its shadow-database helper spreads `{ connectionString, database }` into pg, where the
 *   connection string wins: the "shadow" database would be the main one. The shadow database is
 *   created and dropped by withShadowDatabase() and only connected to here;
 * - its executeScript() splits scripts on `;`, which breaks any statement with a `;` inside
 *   (strings, function bodies). A script is sent as one simple query instead, which Postgres also
 *   runs atomically, like the native engine does;
 * - it rejects Postgres' internal `"char"` type, which the engine's catalog queries select when
 *   describing a database (the shadow database, for a diff); see withCharColumns().
 * Each pool has one connection: the engine is sequential, and the advisory lock it takes is held
 * by a session, so lock, migration and unlock must run on the same one (PGlite has only one).
 */
class PgMigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';
  private readonly pools: pg.Pool[] = [];

  constructor(
    private readonly mainUrl: string,
    private readonly shadowUrl: string | undefined,
  ) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.open(this.mainUrl);
  }

  connectToShadowDb(): Promise<SqlDriverAdapter> {
    if (!this.shadowUrl) throw new Error('This operation does not use a shadow database');
    return this.open(this.shadowUrl);
  }

  /** Ends every pool; the adapters' own dispose() leaves external pools open. */
  async close(): Promise<void> {
    const pools = this.pools.splice(0);
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  }

  private async open(connectionString: string): Promise<SqlDriverAdapter> {
    const pool = new pg.Pool({ connectionString, max: 1 });
    this.pools.push(pool);
    // pool.end() resolves before its connections are closed, so dropping the shadow database
    // WITH (FORCE) can still kill one; an unhandled pool 'error' would crash the process.
    pool.on('error', () => {});
    const charColumns = withCharColumns(pool);
    const adapter = await new PrismaPg(pool).connect();
    return {
      provider: adapter.provider,
      adapterName: adapter.adapterName,
      queryRaw: async (query) => {
        const result = await adapter.queryRaw(query);
        for (const index of charColumns.get(result.rows) ?? []) result.columnTypes[index] = ColumnTypeEnum.Character;
        return result;
      },
      executeRaw: (query) => adapter.executeRaw(query),
      // With no parameters pg uses the simple query protocol, which accepts many statements.
      executeScript: async (script) => {
        await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
      },
      startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
      getConnectionInfo: () => adapter.getConnectionInfo(),
      dispose: () => adapter.dispose(),
    };
  }
}

/**
 * adapter-pg throws on a `"char"` column (its values are one-character strings), and the engine
 * wants the Character column type for it, which adapter-pg never produces. So the pool reports
 * such columns to adapter-pg as text, and remembers their positions by result (adapter-pg returns
 * pg's rows array as is) for queryRaw to set Character.
 */
function withCharColumns(pool: pg.Pool): WeakMap<unknown[], number[]> {
  const charColumns = new WeakMap<unknown[], number[]>();
  // adapter-pg only calls the promise form, with a config object.
  const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult | pg.QueryResult[]>;
  const patched = async (config: pg.QueryConfig): Promise<pg.QueryResult | pg.QueryResult[]> => {
    const result = await query(config);
    // A multi-statement script yields one result per statement; those are never read.
    if (Array.isArray(result)) return result;
    const indexes: number[] = [];
    result.fields.forEach((field, index) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        indexes.push(index);
      }
    });
    if (indexes.length) charColumns.set(result.rows, indexes);
    return result;
  };
  pool.query = patched as unknown as pg.Pool['query'];
  return charColumns;
}

