// ES modules that Node loads with require() but Jest's module registry does not: the OpenID Connect
// and JOSE libraries, and Prisma's schema engine glue (src/db/schema-engine.ts loads it). swc
// turns them into CommonJS like the sources.
const ESM_PACKAGES = ['openid-client', 'oauth4webapi', 'jose', '@prisma/schema-engine-wasm'];

const swc = (syntax) => [
  '@swc/jest',
  {
    // TypeGraphQL reads decorator metadata; swc keeps it (esbuild-based runners drop it).
    jsc: {
      parser: syntax === 'typescript' ? { syntax, decorators: true } : { syntax },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': swc('typescript'),
    [`/node_modules/(${ESM_PACKAGES.join('|')})/.+\\.js$`]: swc('ecmascript'),
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 30000,
};
