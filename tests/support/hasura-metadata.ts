// Reads hasura/metadata as the Hasura CLI (config v3) does: YAML files, with `"!include <file>"`
// strings replaced by the file they name (relative to the including file). The parts this project
// writes are checked against strict schemas, so a misspelt key fails here instead of being
// silently ignored or refused by Hasura at start-up.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

export const HASURA_DIR = path.resolve(__dirname, '../../hasura');
export const METADATA_DIR = path.join(HASURA_DIR, 'metadata');

const INCLUDE = /^!include\s+(.+)$/;

/** Parses a YAML file and resolves its `!include` strings recursively. */
export function readWithIncludes(file: string, seen: string[] = []): unknown {
  if (seen.includes(file)) throw new Error(`!include cycle: ${[...seen, file].join(' -> ')}`);
  const value: unknown = YAML.parse(readFileSync(file, 'utf8'));
  const resolve = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const match = INCLUDE.exec(node.trim());
      return match ? readWithIncludes(path.resolve(path.dirname(file), match[1]!), [...seen, file]) : node;
    }
    if (Array.isArray(node)) return node.map(resolve);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
    return node;
  };
  return resolve(value);
}

/** The files an `!include` tree names, relative to METADATA_DIR (to find orphans). */
export function includedFiles(file: string): string[] {
  const files = [path.relative(METADATA_DIR, file)];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      const match = INCLUDE.exec(node.trim());
      if (match) files.push(...includedFiles(path.resolve(path.dirname(file), match[1]!)));
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(YAML.parse(readFileSync(file, 'utf8')));
  return files;
}

const header = z.union([
  z.object({ name: z.string().min(1), value: z.string() }).strict(),
  z.object({ name: z.string().min(1), value_from_env: z.string().min(1) }).strict(),
]);
export type HasuraHeader = z.infer<typeof header>;

const columns = z.union([z.literal('*'), z.array(z.string().min(1))]);
export type ColumnList = z.infer<typeof columns>;

/** Hasura boolean expressions: `{column: {_eq: value}}`, `_and`, `_or`, `_not`, relationships… */
export type BoolExp = { [key: string]: unknown };
const boolExp = z.record(z.string(), z.unknown());

const qualifiedTable = z.object({ name: z.string().min(1), schema: z.string().min(1) }).strict();
export type QualifiedTable = z.infer<typeof qualifiedTable>;

const relationship = z
  .object({
    name: z.string().min(1),
    comment: z.string().optional(),
    using: z
      .object({
        foreign_key_constraint_on: z.union([z.string().min(1), z.object({ column: z.string().min(1), table: qualifiedTable }).strict()]),
      })
      .strict(),
  })
  .strict();
export type Relationship = z.infer<typeof relationship>;

const permissionEntry = <P extends z.ZodType>(permission: P) =>
  z.object({ role: z.string().min(1), comment: z.string().optional(), permission }).strict();

const selectPermission = z
  .object({
    columns,
    filter: boolExp,
    allow_aggregations: z.boolean().optional(),
    limit: z.number().int().positive().optional(),
    computed_fields: z.array(z.string()).optional(),
    query_root_fields: z.array(z.string()).optional(),
    subscription_root_fields: z.array(z.string()).optional(),
  })
  .strict();
const updatePermission = z
  .object({ columns, filter: boolExp, check: boolExp.optional(), set: z.record(z.string(), z.unknown()).optional() })
  .strict();
const insertPermission = z
  .object({ columns, check: boolExp, set: z.record(z.string(), z.unknown()).optional(), backend_only: z.boolean().optional() })
  .strict();
const deletePermission = z.object({ filter: boolExp, backend_only: z.boolean().optional() }).strict();

const operationSpec = z.object({ columns, payload: columns.optional() }).strict();
const eventTrigger = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,42}$/, 'Hasura trigger names: letters, digits, - and _, at most 42'),
    definition: z
      .object({
        enable_manual: z.boolean(),
        insert: operationSpec.optional(),
        update: operationSpec.optional(),
        delete: operationSpec.optional(),
      })
      .strict(),
    retry_conf: z
      .object({ num_retries: z.number().int().nonnegative(), interval_sec: z.number().int().positive(), timeout_sec: z.number().int().positive() })
      .strict(),
    webhook: z.string().optional(),
    webhook_from_env: z.string().optional(),
    headers: z.array(header).optional(),
  })
  .strict();
export type EventTrigger = z.infer<typeof eventTrigger>;

const table = z
  .object({
    table: qualifiedTable,
    object_relationships: z.array(relationship).optional(),
    array_relationships: z.array(relationship).optional(),
    select_permissions: z.array(permissionEntry(selectPermission)).optional(),
    insert_permissions: z.array(permissionEntry(insertPermission)).optional(),
    update_permissions: z.array(permissionEntry(updatePermission)).optional(),
    delete_permissions: z.array(permissionEntry(deletePermission)).optional(),
    event_triggers: z.array(eventTrigger).optional(),
  })
  .strict();
export type TableMetadata = z.infer<typeof table>;

const source = z
  .object({
    name: z.string().min(1),
    kind: z.literal('postgres'),
    configuration: z
      .object({
        connection_info: z
          .object({
            database_url: z.union([z.string(), z.object({ from_env: z.string().min(1) }).strict()]),
            isolation_level: z.enum(['read-committed', 'repeatable-read', 'serializable']).optional(),
            pool_settings: z.record(z.string(), z.number()).optional(),
            use_prepared_statements: z.boolean().optional(),
          })
          .strict(),
      })
      .strict(),
    tables: z.array(table),
  })
  .strict();
export type SourceMetadata = z.infer<typeof source>;

const remoteSchema = z
  .object({
    name: z.string().min(1),
    comment: z.string().optional(),
    definition: z
      .object({
        url: z.string().optional(),
        url_from_env: z.string().optional(),
        headers: z.array(header).optional(),
        forward_client_headers: z.boolean().optional(),
        timeout_seconds: z.number().int().positive().optional(),
        customization: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    permissions: z
      .array(z.object({ role: z.string().min(1), definition: z.object({ schema: z.string().min(1) }).strict() }).strict())
      .optional(),
  })
  .strict();
export type RemoteSchemaMetadata = z.infer<typeof remoteSchema>;

export interface HasuraMetadata {
  version: number;
  sources: SourceMetadata[];
  remoteSchemas: RemoteSchemaMetadata[];
}

export function loadHasuraMetadata(dir: string = METADATA_DIR): HasuraMetadata {
  const version = z.object({ version: z.literal(3) }).parse(readWithIncludes(path.join(dir, 'version.yaml'))).version;
  const sources = z.array(source).parse(readWithIncludes(path.join(dir, 'databases', 'databases.yaml')));
  const remoteSchemas = z.array(remoteSchema).parse(readWithIncludes(path.join(dir, 'remote_schemas.yaml')));
  return { version, sources, remoteSchemas };
}

/** Every table of every source, with the source's name. */
export function allTables(metadata: HasuraMetadata): (TableMetadata & { source: string })[] {
  return metadata.sources.flatMap((s) => s.tables.map((t) => ({ ...t, source: s.name })));
}

/** Every permission of a table, whatever its kind, with the columns it names ('*' kept as is). */
export function permissionsOf(
  t: TableMetadata,
): { kind: 'select' | 'insert' | 'update' | 'delete'; role: string; columns: ColumnList; expressions: BoolExp[] }[] {
  return [
    ...(t.select_permissions ?? []).map((p) => ({ kind: 'select' as const, role: p.role, columns: p.permission.columns, expressions: [p.permission.filter] })),
    ...(t.insert_permissions ?? []).map((p) => ({ kind: 'insert' as const, role: p.role, columns: p.permission.columns, expressions: [p.permission.check] })),
    ...(t.update_permissions ?? []).map((p) => ({
      kind: 'update' as const,
      role: p.role,
      columns: p.permission.columns,
      expressions: [p.permission.filter, ...(p.permission.check ? [p.permission.check] : [])],
    })),
    ...(t.delete_permissions ?? []).map((p) => ({ kind: 'delete' as const, role: p.role, columns: [] as string[], expressions: [p.permission.filter] })),
  ];
}

/** Column names a boolean expression compares (`_and`/`_or`/`_not` walked; relationships not followed). */
export function expressionColumns(expression: BoolExp): string[] {
  return Object.entries(expression).flatMap(([key, value]) => {
    if (key === '_and' || key === '_or') return (value as BoolExp[]).flatMap(expressionColumns);
    if (key === '_not') return expressionColumns(value as BoolExp);
    if (key === '_exists') return [];
    return [key];
  });
}

/** Session variables (`X-Hasura-*`) a boolean expression reads, lower-cased. */
export function expressionSessionVariables(expression: unknown): string[] {
  if (typeof expression === 'string') return /^x-hasura-/i.test(expression) ? [expression.toLowerCase()] : [];
  if (Array.isArray(expression)) return expression.flatMap(expressionSessionVariables);
  if (expression && typeof expression === 'object') return Object.values(expression).flatMap(expressionSessionVariables);
  return [];
}
