#!/usr/bin/env node
// Stand-in for Prisma's native schema engine, which cannot be downloaded offline.
// `prisma generate` only checks that the file exists; migrations use @prisma/schema-engine-wasm.
console.error('The native Prisma schema engine is not used here: run `npm run db:migrate`.');
process.exit(1);
