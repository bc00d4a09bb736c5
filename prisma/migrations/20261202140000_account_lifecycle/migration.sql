-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "user_agent" VARCHAR(512);

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "locale" VARCHAR(16) NOT NULL DEFAULT 'en';

-- CreateTable
CREATE TABLE "email_verification_requests" (
    "id" UUID NOT NULL,
    "user_id" INTEGER NOT NULL,
    "email" CITEXT NOT NULL,
    "with_welcome" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "link_sent" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "email_verification_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_change_requests" (
    "id" UUID NOT NULL,
    "user_id" INTEGER NOT NULL,
    "new_email" CITEXT NOT NULL,
    "old_email" CITEXT NOT NULL,
    "session_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "link_sent" BOOLEAN NOT NULL DEFAULT false,
    "notice_sent" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "email_change_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "email_verification_requests_user_id_idx" ON "email_verification_requests"("user_id");

-- CreateIndex
CREATE INDEX "email_change_requests_user_id_idx" ON "email_change_requests"("user_id");

-- AddForeignKey
ALTER TABLE "email_verification_requests" ADD CONSTRAINT "email_verification_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_change_requests" ADD CONSTRAINT "email_change_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
