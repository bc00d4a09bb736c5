// The `auth` remote schema in hasura/metadata/remote_schemas.yaml: where Hasura finds the service,
// which headers reach it, and what each role may call. Every role's SDL is checked the way Hasura
// checks it when it loads the metadata (tests/support/hasura-remote-permissions.ts).
import 'reflect-metadata';
import { buildAuthSchema } from '../../src/graphql/schema';
import { loadHasuraMetadata, type RemoteSchemaMetadata } from '../support/hasura-metadata';
import { validateRoleSchema } from '../support/hasura-remote-permissions';

const upstream = buildAuthSchema();
const metadata = loadHasuraMetadata();

const PUBLIC_FIELDS = [
  'Mutation.user_email_change_confirm',
  'Mutation.user_email_verification_resend',
  'Mutation.user_email_verify',
  'Mutation.user_login_mfa',
  'Mutation.user_logout',
  'Mutation.user_passkey_signin',
  'Mutation.user_passkey_signin_options',
  'Mutation.user_password_reset',
  'Mutation.user_password_reset_confirm',
  'Mutation.user_register',
  'Mutation.user_signin_anonymous',
  'Mutation.user_signin_code',
  'Mutation.user_signin_email',
  'Mutation.user_signin_email_confirm',
  'Mutation.user_signin_idtoken',
  'Query.user_login',
  'Query.user_password_reset_validate',
  'Query.user_refresh',
];
const SIGNED_IN_FIELDS = [
  ...PUBLIC_FIELDS,
  'Mutation.action_sample',
  'Mutation.user_change_password',
  'Mutation.user_mfa_disable',
  'Mutation.user_mfa_totp_enable',
  'Mutation.user_mfa_totp_setup',
  'Mutation.user_passkey_register',
  'Mutation.user_passkey_registration_options',
  'Mutation.user_change_email',
  'Mutation.user_delete_account',
  'Mutation.user_logout_all',
  'Mutation.user_session_revoke',
  'Query.user_sessions',
].sort();

function auth(): RemoteSchemaMetadata {
  const schema = metadata.remoteSchemas.find((s) => s.name === 'auth');
  if (!schema) throw new Error('remote_schemas.yaml has no "auth" remote schema');
  return schema;
}

function permission(role: string): string {
  const found = auth().permissions?.find((p) => p.role === role);
  if (!found) throw new Error(`no remote schema permission for role ${role}`);
  return found.definition.schema;
}

describe('the auth remote schema', () => {
  it('is the only remote schema, at {{AUTH_SERVICE_URL}}/graphql, with client headers forwarded', () => {
    expect(metadata.remoteSchemas.map((s) => s.name)).toEqual(['auth']);
    const { definition } = auth();
    expect(definition.url).toBe('{{AUTH_SERVICE_URL}}/graphql');
    expect(definition.url_from_env).toBeUndefined();
    // Authorization reaches the service only with forwarding on; it is the only identity it trusts.
    expect(definition.forward_client_headers).toBe(true);
    // Configured headers win over the client's: one named Authorization would replace every caller's token.
    expect((definition.headers ?? []).map((h) => h.name.toLowerCase())).not.toContain('authorization');
    expect(definition.timeout_seconds).toBeGreaterThanOrEqual(5);
    expect(definition.timeout_seconds).toBeLessThanOrEqual(60);
    // A prefix or rename would break clients written for the original actions.
    expect(definition.customization ?? {}).toEqual({});
  });

  it('grants exactly the roles public, user, manager and anonymous (admin sees everything anyway)', () => {
    expect(auth().permissions?.map((p) => p.role).sort()).toEqual(['anonymous', 'manager', 'public', 'user']);
  });

  it.each(['public', 'user', 'manager', 'anonymous'])("%s's schema is a subset of the served schema, as Hasura checks it", (role) => {
    expect(validateRoleSchema(permission(role), upstream).errors).toEqual([]);
  });

  it('lets unauthenticated callers register, log in (both steps, with a passkey or with a provider), refresh, log out and reset a password — nothing more', () => {
    expect(validateRoleSchema(permission('public'), upstream).rootFields).toEqual(PUBLIC_FIELDS);
  });

  it('lets users and managers also change their password, manage their second factors and passkeys, and call action_sample', () => {
    expect(validateRoleSchema(permission('user'), upstream).rootFields).toEqual(SIGNED_IN_FIELDS);
    expect(validateRoleSchema(permission('manager'), upstream).rootFields).toEqual(SIGNED_IN_FIELDS);
  });

  it('lets anonymous users upgrade with user_register, sign in to an account, refresh, log out and call action_sample — nothing more', () => {
    expect(validateRoleSchema(permission('anonymous'), upstream).rootFields).toEqual([
      'Mutation.action_sample',
      'Mutation.user_logout',
      'Mutation.user_register',
      'Mutation.user_signin_email',
      'Mutation.user_signin_email_confirm',
      'Query.user_login',
      'Query.user_refresh',
    ]);
  });

  it('covers every root field the service serves', () => {
    const served = [upstream.getQueryType(), upstream.getMutationType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}).map((field) => `${type?.name}.${field}`),
    );
    expect(SIGNED_IN_FIELDS).toEqual(served.sort());
  });
});

describe('the role-schema check', () => {
  const publicSdl = () => permission('public');
  const cases: [string, (sdl: string) => string, RegExp][] = [
    ['an operation the service does not have', (s) => s.replace('type Query {', 'type Query {\n  user_delete(id: Int!): ResetStatus!'), /field "user_delete" does not exist/],
    ['a nullable result where the service returns non-null', (s) => s.replace('user_login(arg: UserLogin!): UserToken!', 'user_login(arg: UserLogin!): UserToken'), /expected type of "user_login"/],
    ['a different argument type', (s) => s.replace('user_login(arg: UserLogin!)', 'user_login(arg: UserRefresh!)'), /expected type of "arg"/],
    ['a required argument left out', (s) => s.replace('user_login(arg: UserLogin!)', 'user_login'), /expects the following non nullable arguments to be present: "arg"/],
    ['a required input field left out', (s) => s.replace(/input UserLogin \{\n\s+password: String!\n/, 'input UserLogin {\n'), /"UserLogin" expects the following non nullable arguments to be present: "password"/],
    ['an input field the service does not have', (s) => s.replace('input UserLogout {', 'input UserLogout {\n  everywhere: Boolean'), /input argument "everywhere" does not exist/],
    ['a type the service does not have', (s) => `${s}\ntype Secret { value: String! }\n`, /Object: "Secret" does not exist/],
    ['an object field the service does not have', (s) => s.replace('type UserToken {', 'type UserToken {\n  expires_in: Int!'), /field "expires_in" does not exist in the "Object": "UserToken"/],
    ['a dangling type reference', (s) => s.replace(/input UserRefresh \{[^}]*\}/, ''), /not a valid schema|Unknown type/],
    ['mutations without the schema block', (s) => s.replace(/schema \{[^}]*\}/, ''), /no `schema \{ mutation: Mutation \}`/],
    ['a syntax error', (s) => s.replace('type Query {', 'type Query'), /does not parse/],
  ];

  it.each(cases)('detects %s', (_name, change, reason) => {
    const changed = change(publicSdl());
    expect(changed).not.toBe(publicSdl());
    const { errors } = validateRoleSchema(changed, upstream);
    expect(errors.join('\n')).toMatch(reason);
  });
});
