-- AlterTable
ALTER TABLE "users" ADD COLUMN     "is_anonymous" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "signin_email_requests" (
    "id" UUID NOT NULL,
    "user_id" INTEGER,
    "email" CITEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "email_sent" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "signin_email_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "signin_email_requests_email_idx" ON "signin_email_requests"("email");

-- CreateIndex
CREATE INDEX "signin_email_requests_user_id_idx" ON "signin_email_requests"("user_id");

-- AddForeignKey
ALTER TABLE "signin_email_requests" ADD CONSTRAINT "signin_email_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written (Prisma does not model CHECK constraints): an anonymous user has no password and
-- only the placeholder address in the reserved .invalid domain, so no email can ever reach it.
ALTER TABLE "users" ADD CONSTRAINT "users_anonymous_shape"
  CHECK (NOT "is_anonymous" OR ("password_hash" IS NULL AND "email"::text LIKE '%@anonymous.invalid'));

-- The clean-up of stale anonymous users looks only at them.
CREATE INDEX "users_anonymous_idx" ON "users"("last_login_at") WHERE "is_anonymous";
