// Prisma CLI configuration. The CLI downloads a native schema engine at start-up, which fails
// offline, although `prisma generate` never runs it; pointing it at a stub lets generate work
// anywhere. Migrations go through the WebAssembly engine instead (src/db/schema-engine.ts, driven by src/db/migrate.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(__dirname, 'prisma', 'engine-stub.js');
}
if (!existsSync(process.env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  throw new Error(`PRISMA_SCHEMA_ENGINE_BINARY points at a missing file: ${process.env.PRISMA_SCHEMA_ENGINE_BINARY}`);
}

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
