// Hasura adds the service as a remote schema by sending its own introspection query; the answer
// must describe exactly the contract's schema, in production too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildClientSchema, buildSchema, type IntrospectionQuery } from 'graphql';
import { CONTRACT_SDL } from '../support/contract';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { schemaShape } from '../support/schema-shape';
import { startTestService, type TestService } from '../support/service';

const HASURA_QUERY_BODY = readFileSync(path.resolve(__dirname, '../fixtures/hasura/introspection-request-body.json'), 'utf8');

let db: TestDatabase;
let service: TestService;
beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { env: { NODE_ENV: 'production', BCRYPT_ROUNDS: '10' } });
});
afterAll(async () => {
  await service.stop();
  await db.drop();
});

it("answers Hasura's exact introspection request with NODE_ENV=production", async () => {
  expect(service.config.environment).toBe('production');
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    // As Hasura sends it: JSON, no session variables, no Authorization.
    headers: { 'content-type': 'application/json' },
    body: HASURA_QUERY_BODY,
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { data: IntrospectionQuery; errors?: unknown };
  expect(body.errors).toBeUndefined();
  expect(body.data.__schema.queryType?.name).toBe('Query');
  expect(body.data.__schema.mutationType?.name).toBe('Mutation');
  expect(body.data.__schema.subscriptionType).toBeNull();

  const served = buildClientSchema(body.data);
  expect(schemaShape(served)).toEqual(schemaShape(buildSchema(CONTRACT_SDL)));
  // No interface implements another interface: Hasura cannot merge those.
  for (const type of body.data.__schema.types) {
    if (type.kind === 'INTERFACE') expect(type.interfaces ?? []).toEqual([]);
  }
});

it('the comparison sees a difference when there is one', () => {
  const changed = CONTRACT_SDL.replace('user_refresh(arg: UserRefresh!): UserAccessToken!', 'user_refresh(arg: UserRefresh!): UserAccessToken');
  expect(schemaShape(buildSchema(changed))).not.toEqual(schemaShape(buildSchema(CONTRACT_SDL)));
});
