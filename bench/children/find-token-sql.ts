// The baseline's session lookup. It must stay the SAME statement as FIND_TOKEN in
// src/auth/sessions.ts — the baseline is only meaningful while both sides do the same database
// work — so bench/run.ts compares the two texts (whitespace aside) and warns when they differ.
export const FIND_TOKEN_SQL = `SELECT rt.session_id, rt.expires_at, rt.retired_at, s.revoked_at, s.role_id AS session_role_id,
                u.id AS user_id, u.username, u.email, u.is_active, u.role_id, r.name AS role
           FROM refresh_tokens rt
           JOIN sessions s ON s.id = rt.session_id
           JOIN users u ON u.id = s.user_id
           JOIN roles r ON r.id = u.role_id
          WHERE rt.token_hash = $1`;
