/** @type {import('jest').Config} */
const swcTypeScript = {
  // TypeGraphQL reads decorator metadata; swc keeps it (esbuild-based runners drop it).
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

/**
 * ES modules Node loads with require() but Jest's module registry does not: swc turns them into
 * CommonJS for the tests. Prisma's schema engine glue (src/db/schema-engine.ts loads it), the
 * OpenID Connect and JOSE libraries, and the ESM-only dependencies of otplib and
 * @simplewebauthn/server.
 */
const ESM_ONLY = ['@prisma/schema-engine-wasm', 'openid-client', 'oauth4webapi', 'jose', '@noble', '@scure', '@hexagon', '@peculiar/utils'];

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTypeScript],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 30000,
};
