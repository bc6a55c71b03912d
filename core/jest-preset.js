// Jest preset for AI Hub plugin tests (`preset: '@aihub/core'` in jest.config.js): TypeScript through
// SWC, and the packages AI Hub loads that ship only ES modules compiled to CommonJS, which Jest's
// module system needs on Node < 24.9 (a test that starts the auth plugin loads both).
/** Packages in a gateway's dependency tree that ship only ES modules. */
const esmOnly = ['jose', 'oidc-provider'];

module.exports = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(ts|m?js)$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // A test starts a real gateway (and maybe a database): more than Jest's 5 s default.
  testTimeout: 30000,
};
