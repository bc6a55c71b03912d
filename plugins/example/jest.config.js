// The example plugin's suite under Jest (issue 19 item 5): the same src/*.test.ts files that
// `node scripts/test.mjs` runs under node:test. `node:test` is mapped to Jest's own globals
// (@aihub/core/testing's jest shim), TypeScript is compiled by SWC, and `aihub-source` makes
// @aihub/core resolve to its sources so no build is needed first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['aihub-source', 'node', 'require', 'default'] },
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  moduleNameMapper: { '^node:test$': '<rootDir>/jest.node-test.cjs' },
  testTimeout: 60_000,
};
