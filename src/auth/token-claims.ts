// What a token says about a user beyond their id: the roles granted on top of the default one
// (user_roles) and custom claims from JWT_CLAIMS_FUNCTION, a PostgreSQL function
// (user_id integer) → jsonb. Both are read from the database each time a token is issued, in the
// same round trip as the rest of what the token needs: the refresh lookup and the session start
// select them as extra columns (the SQL fragments below).

/** Claims Hasura derives its session from, which a custom function may never set. */
const RESERVED = new Set(['x-hasura-user-id', 'x-hasura-default-role', 'x-hasura-allowed-roles', 'x-hasura-role', 'x-hasura-user-is-anonymous', 'x-hasura-user-email-verified']);
const CLAIM_NAME = /^x-hasura-[a-z0-9]+(-[a-z0-9]+)*$/;
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** A custom-claims function failed or returned what no token may carry: no token is issued. */
export class CustomClaimsError extends Error {
  constructor(functionName: string, reason: string, options?: { cause?: unknown }) {
    super(`JWT_CLAIMS_FUNCTION ${functionName} ${reason}: no token issued`, options);
    this.name = 'CustomClaimsError';
  }
}

/** The granted roles of the user whose id is `userId` (an SQL expression), by name. */
export function grantedRolesSql(userId: string): string {
  return `ARRAY(SELECT gr.name FROM user_roles ur JOIN roles gr ON gr.id = ur.role_id WHERE ur.user_id = ${userId} ORDER BY gr.name)`;
}

/**
 * The call of the claims function on `userId` (an SQL expression). The name is interpolated, so it
 * must be a plain identifier (config.ts refuses anything else; checked again here).
 */
export function claimsCallSql(functionName: string, userId: string): string {
  if (!FUNCTION_NAME.test(functionName)) throw new Error('JWT_CLAIMS_FUNCTION must be a plain function name');
  return `${functionName}(${userId})`;
}

/**
 * The function's jsonb as claims in Hasura's session-variable formats: each key `some_name` or
 * `someName` becomes `x-hasura-some-name` (a key already `x-hasura-…` stays); strings as they are,
 * numbers and booleans as strings, arrays of scalars as PostgreSQL array literals (`{1,2}`,
 * `{a,"b c"}`) for Hasura's `_in` checks; a null value sets no claim. Throws CustomClaimsError.
 */
export function formatCustomClaims(functionName: string, value: unknown): Record<string, string> {
  const refuse = (reason: string): never => {
    throw new CustomClaimsError(functionName, reason);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(`returned ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a JSON object`);
  }
  const claims: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const name = claimName(key);
    if (!CLAIM_NAME.test(name)) refuse(`returned the key "${key}", which is no claim name (letters, digits, - or _)`);
    if (RESERVED.has(name)) refuse(`tried to set ${name}, which only the service sets`);
    if (name in claims) refuse(`returned two keys for ${name}`);
    if (raw === null) continue;
    if (Array.isArray(raw)) {
      claims[name] = `{${raw.map((item) => arrayElement(item) ?? refuse(`returned ${name} with an element that is not a string, number or boolean`)).join(',')}}`;
      continue;
    }
    claims[name] = scalar(raw) ?? refuse(`returned ${name} as an object: only strings, numbers, booleans and arrays of them`);
  }
  return claims;
}

function claimName(key: string): string {
  if (/^x-hasura-/i.test(key)) return key.toLowerCase();
  const kebab = key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  return `x-hasura-${kebab}`;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** One element of a PostgreSQL array literal: quoted (with \ and " escaped) when it must be. */
function arrayElement(value: unknown): string | undefined {
  const text = scalar(value);
  if (text === undefined) return undefined;
  if (typeof value !== 'string') return text;
  return text === '' || /^null$/i.test(text) || /[{}",\\\s]/.test(text) ? `"${text.replace(/[\\"]/g, '\\$&')}"` : text;
}

/** What a token carries besides the session's own facts. */
export interface UserGrants {
  /** Granted roles, besides the default one. */
  roles: string[];
  /** Formatted custom claims; empty without JWT_CLAIMS_FUNCTION. */
  claims: Record<string, string>;
}

/**
 * The claims configuration of every lookup that selects a token's database state (the refresh
 * lookup, a session's start), and the formatting of what they selected.
 */
export class TokenGrants {
  constructor(readonly claimsFunction: string | undefined) {}

  /**
   * What a lookup that selects the claims function's result should throw when it fails: the
   * statement fails as a whole when the function does, so with a function configured the error
   * names it, for the log.
   */
  lookupFailure(error: unknown): unknown {
    if (this.claimsFunction === undefined) return error;
    return new CustomClaimsError(this.claimsFunction, `failed (${(error as Error).message})`, { cause: error });
  }

  /** Formats what a lookup selected (granted_roles, claims). */
  format(grantedRoles: string[], claims: unknown): UserGrants {
    return {
      roles: grantedRoles,
      claims: this.claimsFunction === undefined ? {} : formatCustomClaims(this.claimsFunction, claims),
    };
  }
}
