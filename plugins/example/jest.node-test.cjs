// `node:test`'s describe/it/before/after on Jest's globals, so one suite runs under both runners.
const { describe, it, test, beforeAll, afterAll, beforeEach, afterEach } = require('@jest/globals');
module.exports = { describe, it, test, before: beforeAll, after: afterAll, beforeEach, afterEach };
