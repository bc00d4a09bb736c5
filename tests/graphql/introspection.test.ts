// Hasura adds the service as a remote schema by sending its own introspection query; the answer
// must describe exactly the published schema (tests/support/contract.ts), in production too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildClientSchema, buildSchema, type IntrospectionQuery } from 'graphql';
import { PUBLIC_SDL } from '../support/contract';
import { schemaShape } from '../support/schema-shape';
import { setupTestService } from '../support/setup';

const HASURA_QUERY_BODY = readFileSync(path.resolve(__dirname, '../fixtures/hasura/introspection-request-body.json'), 'utf8');

const t = setupTestService({ env: { NODE_ENV: 'production', BCRYPT_ROUNDS: '10' } });

it("answers Hasura's exact introspection request with NODE_ENV=production", async () => {
  expect(t.service.config.environment).toBe('production');
  const response = await fetch(`${t.service.url}/graphql`, {
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
  expect(schemaShape(served)).toEqual(schemaShape(buildSchema(PUBLIC_SDL)));
  // No interface implements another interface: Hasura cannot merge those.
  for (const type of body.data.__schema.types) {
    if (type.kind === 'INTERFACE') expect(type.interfaces ?? []).toEqual([]);
  }
});

it('the comparison sees a difference when there is one', () => {
  const changed = PUBLIC_SDL.replace('user_refresh(arg: UserRefresh!): UserAccessToken!', 'user_refresh(arg: UserRefresh!): UserAccessToken');
  expect(schemaShape(buildSchema(changed))).not.toEqual(schemaShape(buildSchema(PUBLIC_SDL)));
});
