import js from '@eslint/js';
import angular from 'angular-eslint';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

/** The rules that keep a plugin's imports of core to the plugin API (and the testing kit in tests). */
function coreImportRules(allowTesting) {
  const allowed = allowTesting
    ? '@aihub/core/plugin-api or @aihub/core/testing'
    : '@aihub/core/plugin-api (the testing kit is for tests only)';
  const message = `Plugins import core only from ${allowed}; ask for a plugin-API export instead of reaching into the host.`;
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: `^@aihub/core($|/(?!(plugin-api${allowTesting ? '|testing' : ''})$))`, message },
          {
            group: ['./**/core/src/**', '../**/core/src/**', './**/core/dist/**', '../**/core/dist/**'],
            message: `Plugins never import core files by path: ${message}`,
          },
        ],
      },
    ],
    'no-restricted-syntax': [
      'error',
      {
        selector: `ImportExpression[source.value=/^@aihub\\/core($|\\/(?!(plugin-api${allowTesting ? '|testing' : ''})$))/]`,
        message,
      },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      '.nx/**',
      'admin-ui/.angular/**',
      'admin-ui/src/app/api/schema.d.ts',
      'docker/grafana/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        require: 'readonly',
        module: 'readonly',
        __dirname: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        AbortSignal: 'readonly',
        ReadableStream: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // One door into core (issue 19): a plugin imports only the plugin API and, in tests, the testing
  // kit. Anything else in core is the host's internals; what a plugin legitimately needs is exported
  // from @aihub/core/plugin-api (or reached through a contract), never imported deep.
  {
    files: ['plugins/*/test/**/*.ts', 'plugins/*/bench/**/*.ts', 'plugins/*/src/**/*.test.ts'],
    rules: coreImportRules(true),
  },
  { files: ['plugins/*/src/**/*.ts'], ignores: ['plugins/*/src/**/*.test.ts'], rules: coreImportRules(false) },
  // The console (Angular): angular-eslint's recommended rules over its TypeScript, and over its
  // templates (external *.html and inline `template:`) the recommended and accessibility rules
  // (WCAG: labels, alt text, keyboard access for click handlers, valid ARIA).
  {
    files: ['admin-ui/src/**/*.ts'],
    extends: [...angular.configs.tsRecommended],
    processor: angular.processInlineTemplates,
    rules: {
      '@angular-eslint/component-selector': ['error', { type: 'element', prefix: 'app', style: 'kebab-case' }],
      '@angular-eslint/directive-selector': ['error', { type: 'attribute', prefix: 'app', style: 'camelCase' }],
    },
  },
  {
    files: ['admin-ui/src/**/*.html'],
    extends: [...angular.configs.templateRecommended, ...angular.configs.templateAccessibility],
  },
  // Last: turns off every rule that formatting decides, so Prettier (npm run format) and lint never fight.
  prettier,
);
