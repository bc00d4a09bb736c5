-- AlterTable
-- How a session's user signed in (the access tokens' amr claim); every earlier session was a password sign-in.
-- IF NOT EXISTS: second factors add the same column in their own migration.
ALTER TABLE "sessions" ADD COLUMN IF NOT EXISTS "amr" TEXT[] DEFAULT ARRAY['pwd']::TEXT[];

-- AlterTable
-- IF NOT EXISTS: email verification adds the same column in its own migration; whichever of the
-- two runs second leaves it as it is.
ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "email_verified_at" TIMESTAMPTZ(3);
-- Accounts made by a provider sign-in have no password until their owner sets one.
ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL;

-- CreateTable
CREATE TABLE "user_identities" (
    "id" SERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "email" CITEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_sign_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_identities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_sign_in_requests" (
    "state_hash" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "redirect_to" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_sign_in_requests_pkey" PRIMARY KEY ("state_hash")
);

-- CreateTable
CREATE TABLE "provider_sign_in_codes" (
    "code_hash" TEXT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_sign_in_codes_pkey" PRIMARY KEY ("code_hash")
);

-- CreateIndex
CREATE INDEX "user_identities_user_id_idx" ON "user_identities"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_identities_provider_subject_key" ON "user_identities"("provider", "subject");

-- CreateIndex
CREATE INDEX "provider_sign_in_requests_expires_at_idx" ON "provider_sign_in_requests"("expires_at");

-- CreateIndex
CREATE INDEX "provider_sign_in_codes_user_id_idx" ON "provider_sign_in_codes"("user_id");

-- CreateIndex
CREATE INDEX "provider_sign_in_codes_expires_at_idx" ON "provider_sign_in_codes"("expires_at");

-- AddForeignKey
ALTER TABLE "user_identities" ADD CONSTRAINT "user_identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_sign_in_codes" ADD CONSTRAINT "provider_sign_in_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
