// The body Hasura v2 POSTs to an event-trigger webhook, checked before
// anything acts on it. One trigger per endpoint: the trigger name, the table and the row's shape
// must all be the ones that endpoint serves, so that a trigger pointed at the wrong URL, or a row
// of another table, is refused (400) instead of turning into an email to the wrong person.
import { z } from 'zod';

export interface TriggerSpec<Row> {
  /** The trigger's name in Hasura's metadata; the endpoint is /events/<name>. */
  name: string;
  table: { schema: string; name: string };
  /** The columns the endpoint needs from `event.data.new`; others the trigger sends are ignored. */
  row: z.ZodType<Row>;
}

export interface HasuraEvent<Row> {
  id: string;
  createdAt: string;
  op: 'INSERT' | 'MANUAL';
  row: Row;
  deliveryInfo: { maxRetries: number; currentRetry: number };
  /** Columns of the row that should never leave the database (the trigger's column list is too wide). */
  sensitiveColumns: string[];
}

export type ParseResult<Row> = { ok: true; event: HasuraEvent<Row> } | { ok: false; reason: string };

/** Columns that must never be in an event payload: Hasura stores payloads in its event log. */
const SENSITIVE_COLUMNS = ['password_hash'];

// Hasura writes created_at as an ISO 8601 timestamp, with or without a zone depending on version.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)?$/;

function envelope<Row>(spec: TriggerSpec<Row>) {
  return z.object({
    id: z.guid(),
    created_at: z.string().regex(TIMESTAMP, 'must be a timestamp'),
    trigger: z.object({ name: z.literal(spec.name) }),
    table: z.object({ schema: z.literal(spec.table.schema), name: z.literal(spec.table.name) }),
    event: z.object({
      // INSERT: the row was just created. MANUAL: redelivered from the console (current row).
      // UPDATE and DELETE never call for these emails.
      op: z.enum(['INSERT', 'MANUAL']),
      data: z.object({ old: z.null(), new: spec.row }),
      // Not used here; checked only for shape, so a newer Hasura adding fields still passes.
      session_variables: z.record(z.string(), z.unknown()).nullable(),
      trace_context: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
    delivery_info: z.object({
      max_retries: z.number().int().nonnegative(),
      current_retry: z.number().int().nonnegative(),
    }),
  });
}

/** A compiled parser for one trigger. */
export function hasuraEventParser<Row>(spec: TriggerSpec<Row>): (body: unknown) => ParseResult<Row> {
  const schema = envelope(spec);
  return (body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { ok: false, reason: 'the body is not a JSON object' };
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // Paths and expectations only: values from the payload are never echoed back.
      const where = issue?.path.length ? issue.path.join('.') : 'body';
      return { ok: false, reason: `${where}: ${issue?.message ?? 'invalid'}` };
    }
    const { data } = parsed;
    const raw = (body as { event: { data: { new: Record<string, unknown> } } }).event.data.new;
    return {
      ok: true,
      event: {
        id: data.id,
        createdAt: data.created_at,
        op: data.event.op,
        row: data.event.data.new,
        deliveryInfo: { maxRetries: data.delivery_info.max_retries, currentRetry: data.delivery_info.current_retry },
        sensitiveColumns: SENSITIVE_COLUMNS.filter((column) => column in raw),
      },
    };
  };
}

export interface UserRegisteredRow {
  id: number;
  username: string;
  email: string;
}

export interface PasswordResetRequestedRow {
  id: string;
  user_id: number;
}

/** INSERT into public.users → the welcome email. */
export const USER_REGISTERED: TriggerSpec<UserRegisteredRow> = {
  name: 'user_registered',
  table: { schema: 'public', name: 'users' },
  row: z.object({
    id: z.number().int().positive(),
    username: z.string().min(1),
    email: z.string().min(1),
  }),
};

/** INSERT into public.password_reset_requests → the reset email. */
export const PASSWORD_RESET_REQUESTED: TriggerSpec<PasswordResetRequestedRow> = {
  name: 'password_reset_requested',
  table: { schema: 'public', name: 'password_reset_requests' },
  row: z.object({
    id: z.guid(),
    user_id: z.number().int().positive(),
  }),
};

export interface SignInEmailRequestedRow {
  id: string;
}

/** INSERT into public.signin_email_requests → the sign-in email (link and code). */
export const SIGNIN_EMAIL_REQUESTED: TriggerSpec<SignInEmailRequestedRow> = {
  name: 'signin_email_requested',
  table: { schema: 'public', name: 'signin_email_requests' },
  row: z.object({ id: z.guid() }),
};

export interface RequestRow {
  id: string;
  user_id: number;
}

const requestRow = z.object({ id: z.guid(), user_id: z.number().int().positive() });

/** INSERT into public.email_verification_requests → the verification email (resends only). */
export const EMAIL_VERIFICATION_REQUESTED: TriggerSpec<RequestRow> = {
  name: 'email_verification_requested',
  table: { schema: 'public', name: 'email_verification_requests' },
  row: requestRow,
};

/** INSERT into public.email_change_requests → the confirmation link, to the new address. */
export const EMAIL_CHANGE_REQUESTED: TriggerSpec<RequestRow> = {
  name: 'email_change_requested',
  table: { schema: 'public', name: 'email_change_requests' },
  row: requestRow,
};

/** The same INSERT, a second trigger → the notice, to the address being replaced. */
export const EMAIL_CHANGE_NOTICE: TriggerSpec<RequestRow> = {
  name: 'email_change_notice',
  table: { schema: 'public', name: 'email_change_requests' },
  row: requestRow,
};
