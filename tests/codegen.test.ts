// schema.graphql and the typed documents are generated and committed (npm run codegen). CI runs
// `npm run codegen:check` to catch stale files; these checks catch the same drift in `npm test`
// without rewriting anything, and make sure every operation document fits the served schema.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { emitSchema, SCHEMA_FILE } from '../scripts/emit-schema';
import { buildAuthSchema } from '../src/graphql/schema';
import * as generated from './generated/graphql';
import { PUBLIC_SDL } from './support/contract';
import { schemaShape } from './support/schema-shape';

const OPERATIONS_DIR = path.resolve(__dirname, 'operations');

function operationDocuments(): { file: string; operations: OperationDefinitionNode[] }[] {
  return readdirSync(OPERATIONS_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => ({
      file,
      operations: parse(readFileSync(path.join(OPERATIONS_DIR, file), 'utf8')).definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
      ),
    }));
}

it('schema.graphql is the SDL of the schema the service builds (run npm run codegen if not)', () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(emitSchema());
});

it('schema.graphql describes exactly the published schema', () => {
  expect(schemaShape(buildSchema(readFileSync(SCHEMA_FILE, 'utf8')))).toEqual(schemaShape(buildSchema(PUBLIC_SDL)));
});

it('every operation document is valid against the served schema and has a typed document', () => {
  const schema = buildAuthSchema();
  const documents = operationDocuments();
  expect(documents.length).toBeGreaterThan(0);
  const exported = generated as Record<string, unknown>;
  for (const { file, operations } of documents) {
    const errors = validate(schema, { kind: Kind.DOCUMENT, definitions: operations });
    expect({ file, errors: errors.map((e) => e.message) }).toEqual({ file, errors: [] });
    for (const operation of operations) {
      expect(operation.name).toBeDefined();
      expect(exported[`${operation.name?.value}Document`]).toBeDefined();
    }
  }
});

it('the operations cover every root field of the published schema', () => {
  const used = new Set(
    operationDocuments().flatMap(({ operations }) =>
      operations.flatMap((op) => op.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : []))),
    ),
  );
  const published = buildSchema(PUBLIC_SDL);
  const roots = [published.getQueryType(), published.getMutationType()].flatMap((type) => Object.keys(type?.getFields() ?? {}));
  expect(roots.filter((field) => !used.has(field))).toEqual([]);
});
