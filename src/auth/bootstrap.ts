// Start-up data, idempotent and safe when several instances start at once: the roles from ROLES,
// the default role, and the optional admin user from ADMIN_* (created only when absent — an
// existing account is never changed, so a restart cannot reset an admin's password).
import type { Database } from '../db/database';
import { uniqueViolation } from '../db/database';
import type { PasswordPolicy } from './password-policy';
import type { PasswordHasher } from './passwords';

export interface BootstrapOptions {
  roles: string[];
  defaultRole: string;
  admin: { username: string; email: string; password: string; role: string } | undefined;
}

export type BootstrapResult = { adminCreated: boolean };

export async function bootstrap(
  db: Database,
  hasher: PasswordHasher,
  policy: PasswordPolicy,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const roles = new Set([...options.roles, options.defaultRole]);
  if (options.admin) roles.add(options.admin.role);
  await db.prisma.role.createMany({ data: [...roles].map((name) => ({ name })), skipDuplicates: true });

  const admin = options.admin;
  if (!admin) return { adminCreated: false };
  const existing = await db.prisma.user.findFirst({
    where: { OR: [{ username: admin.username }, { email: admin.email }] },
    select: { id: true },
  });
  if (existing) return { adminCreated: false };

  const reasons = await policy.check(admin.password, { username: admin.username, email: admin.email });
  if (reasons.length) throw new Error(`ADMIN_PASSWORD is refused by the password policy: ${reasons.join(' ')}`);
  try {
    await db.prisma.user.create({
      data: {
        username: admin.username,
        email: admin.email,
        passwordHash: await hasher.hash(admin.password),
        role: { connect: { name: admin.role } },
      },
    });
    return { adminCreated: true };
  } catch (error) {
    // Another instance created it between our look and our insert.
    if (uniqueViolation(error)) return { adminCreated: false };
    throw error;
  }
}
