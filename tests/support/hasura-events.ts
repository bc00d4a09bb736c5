// Hasura event-trigger payloads built from real database rows exactly as Hasura v2 builds them,
// and a client that delivers them like Hasura does.
//
// Hasura's trigger function turns the inserted row into JSON inside PostgreSQL with
// json_build_object over the trigger's insert columns; the rows here are made the same way, so
// ids, booleans and timestamps have the types and formats Hasura really sends.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { TEST_WEBHOOK_SECRET } from './service';

/** The insert columns of the user_registered trigger (README / hasura metadata): never password_hash. */
export const USER_REGISTERED_COLUMNS = ['id', 'username', 'email', 'is_active', 'role_id', 'registration_sent', 'created_at'];
/** The insert columns of the password_reset_requested trigger: the whole row, which holds no secret. */
export const PASSWORD_RESET_REQUESTED_COLUMNS = ['id', 'user_id', 'created_at', 'expires_at', 'used_at', 'reset_sent'];

/** The payload columns of the signin_email_requested trigger: the row less the address. */
export const SIGNIN_EMAIL_REQUESTED_COLUMNS = ['id', 'user_id', 'created_at', 'expires_at', 'used_at', 'email_sent'];

/** The insert columns of the email_verification_requested trigger: the whole row, which holds no secret. */
export const EMAIL_VERIFICATION_REQUESTED_COLUMNS = ['id', 'user_id', 'email', 'with_welcome', 'created_at', 'expires_at', 'used_at', 'link_sent'];
/** The insert columns of both email-change triggers: the whole row, which holds no secret. */
export const EMAIL_CHANGE_COLUMNS = ['id', 'user_id', 'new_email', 'old_email', 'created_at', 'expires_at', 'used_at', 'link_sent', 'notice_sent'];

export type TriggerName =
  | 'user_registered'
  | 'password_reset_requested'
  | 'email_verification_requested'
  | 'email_change_requested'
  | 'email_change_notice'
  | 'signin_email_requested';

const TABLES: Record<TriggerName, { table: string; columns: string[] }> = {
  user_registered: { table: 'users', columns: USER_REGISTERED_COLUMNS },
  password_reset_requested: { table: 'password_reset_requests', columns: PASSWORD_RESET_REQUESTED_COLUMNS },
  signin_email_requested: { table: 'signin_email_requests', columns: SIGNIN_EMAIL_REQUESTED_COLUMNS },
  email_verification_requested: { table: 'email_verification_requests', columns: EMAIL_VERIFICATION_REQUESTED_COLUMNS },
  email_change_requested: { table: 'email_change_requests', columns: EMAIL_CHANGE_COLUMNS },
  email_change_notice: { table: 'email_change_requests', columns: EMAIL_CHANGE_COLUMNS },
};

/** The triggers Hasura fires for an INSERT into `table` (one insert may fire several). */
export function triggersOf(table: string): TriggerName[] {
  return (Object.keys(TABLES) as TriggerName[]).filter((name) => TABLES[name].table === table);
}

export interface HasuraEventPayload {
  id: string;
  created_at: string;
  trigger: { name: string };
  table: { schema: string; name: string };
  event: {
    op: 'INSERT' | 'UPDATE' | 'DELETE' | 'MANUAL';
    data: { old: Record<string, unknown> | null; new: Record<string, unknown> | null };
    session_variables: Record<string, string> | null;
    trace_context: { trace_id: string; span_id: string } | null;
  };
  delivery_info: { max_retries: number; current_retry: number };
}

export interface EventOptions {
  op?: 'INSERT' | 'MANUAL';
  /** The event id; one event redelivered keeps its id. */
  id?: string;
  currentRetry?: number;
  maxRetries?: number;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** A row as Hasura's trigger function serialises it: json_build_object over the given columns. */
export async function rowAsJson(db: Queryable, table: string, columns: string[], id: unknown): Promise<Record<string, unknown>> {
  const fields = columns.map((c) => `'${c}', t."${c}"`).join(', ');
  const { rows } = await db.query<{ row: Record<string, unknown> }>(`SELECT json_build_object(${fields}) AS row FROM "${table}" t WHERE t.id = $1`, [id]);
  if (!rows[0]) throw new Error(`no ${table} row ${String(id)}`);
  return rows[0].row;
}

/** The payload Hasura POSTs for `row` (rows written by this service carry no session variables). */
export function hasuraEvent(trigger: TriggerName, row: Record<string, unknown> | null, options: EventOptions = {}): HasuraEventPayload {
  return {
    id: options.id ?? randomUUID(),
    // Hasura's event_log.created_at: microseconds, UTC.
    created_at: new Date().toISOString().replace(/Z$/, '000Z'),
    trigger: { name: trigger },
    table: { schema: 'public', name: TABLES[trigger].table },
    event: {
      op: options.op ?? 'INSERT',
      data: { old: null, new: row },
      session_variables: null,
      trace_context: null,
    },
    delivery_info: { max_retries: options.maxRetries ?? 5, current_retry: options.currentRetry ?? 0 },
  };
}

/** The event for the row `id` of the trigger's table, read from the database now. */
export async function eventForRow(db: Queryable, trigger: TriggerName, id: unknown, options: EventOptions = {}): Promise<HasuraEventPayload> {
  const { table, columns } = TABLES[trigger];
  return hasuraEvent(trigger, await rowAsJson(db, table, columns, id), options);
}

export interface WebhookResponse {
  status: number;
  body: { status?: string; error?: string; message?: string } | undefined;
  retryAfter: string | null;
}

/**
 * POSTs to /events/<trigger> as Hasura does: JSON, with the x-webhook-secret header (pass
 * `secret: null` to leave it out). `body` may be a string to send it as it is.
 */
export async function deliver(
  serviceUrl: string,
  trigger: string,
  body: unknown,
  options: { secret?: string | null; contentType?: string } = {},
): Promise<WebhookResponse> {
  const secret = options.secret === undefined ? TEST_WEBHOOK_SECRET : options.secret;
  const response = await fetch(`${serviceUrl}/events/${trigger}`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(secret === null ? {} : { 'x-webhook-secret': secret }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: WebhookResponse['body'];
  try {
    parsed = JSON.parse(text) as WebhookResponse['body'];
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, retryAfter: response.headers.get('retry-after') };
}
