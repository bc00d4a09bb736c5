-- Usernames: ASCII letters, digits and . _ + - only (src/auth/usernames.ts, USERNAME_PATTERN).
-- Without `@` a username can never be another account's email address, and without non-ASCII
-- letters no look-alike of another name can be made. Enforced here as well as on registration,
-- because Hasura lets a user rename itself straight in the database. Prisma does not model CHECK
-- constraints, so this migration is written by hand. It refuses to apply while an existing
-- username breaks the rule: rename those first (README, Operations).
ALTER TABLE "users" ADD CONSTRAINT "users_username_format"
  CHECK ("username"::text ~ '^[A-Za-z0-9_.+-]+$' AND char_length("username"::text) <= 150);
