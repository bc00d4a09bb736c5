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
 * ESM-only dependencies (of otplib and @simplewebauthn/server). Node 20 `require`s them, Jest on
 * Node 20 cannot: swc turns them into CommonJS for the tests.
 */
const ESM_ONLY = ['@noble', '@scure', '@hexagon', '@peculiar/utils'];

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
