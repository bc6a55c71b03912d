// The example plugin's suite under Jest (issue 19 item 5): the same src/*.test.ts files that
// `node scripts/test.mjs` runs under node:test. The preset (core/jest-preset.js) compiles TypeScript
// with SWC; `node:test` is mapped to Jest's own globals (jest.node-test.cjs), and `aihub-source`
// makes @aihub/core resolve to its sources so no build is needed first.
/** @type {import('jest').Config} */
module.exports = {
  preset: '@aihub/core',
  testEnvironmentOptions: { customExportConditions: ['aihub-source', 'node', 'require', 'default'] },
  roots: ['<rootDir>/src'],
  moduleNameMapper: { '^node:test$': '<rootDir>/jest.node-test.cjs' },
  testTimeout: 60_000,
};
