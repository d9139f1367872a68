// Lint for the whole monorepo. Besides the usual TypeScript rules it enforces the house rules of
// docs/architecture.md: a package is reachable only through its index, private modules (underscore
// names, internal/) never leave their package, and dependencies only point the allowed way.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

// Paths below are anchored at this file, so linting works from any working directory
// (a package's own `npm run lint`, or the boundaries test).
const root = import.meta.dirname;

/** Which of our packages each package (or tool) may import, by package name. */
const allowedImports = {
  'queue-core': [],
  'jobs-store': ['@hotq/queue-core'],
  api: ['@hotq/queue-core', '@hotq/jobs-store'],
  worker: ['@hotq/queue-core', '@hotq/jobs-store'],
};

const packagePolicies = Object.entries(allowedImports).map(([pkg, allowed]) => ({
  from: { element: { type: 'package', captured: { pkg } } },
  allow: {
    // Through the other package's entry only: a package-name import resolves to its dist/index.
    to: { element: { type: 'package', fileInternalPath: 'dist/index.{js,d.ts}' } },
    dependency: { source: allowed },
  },
}));

export default tseslint.config(
  { ignores: ['**/dist/**', '**/temp/**', '**/node_modules/**', '**/coverage/**', 'tools/boundaries/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,js,mjs}'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': [
        { type: 'package', pattern: 'packages/*', capture: ['pkg'] },
        { type: 'tool', pattern: 'tools/*', capture: ['tool'] },
      ],
      'boundaries/root-path': root,
      'boundaries/include': ['packages/**', 'tools/**'],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'import/resolver': {
        typescript: {
          alwaysTryTypes: true,
          project: [`${root}/packages/*/tsconfig.json`, `${root}/tools/*/tsconfig.json`],
          noWarnOnMultipleProjects: true,
        },
      },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          checkAllOrigins: true,
          checkUnknownLocals: true,
          policies: [
            // Node's own modules and third-party packages are fine anywhere.
            { allow: { to: { module: { origin: ['core', 'external'] } } } },
            // ...but no package name of ours is "external": it is one of our packages, reached
            // through its entry, or a deep import that the exports map forbids.
            { disallow: { dependency: { source: '@hotq/**' } } },
            ...packagePolicies,
            // A package's tests (only its tests) may use the test harness.
            {
              from: { element: { type: 'package', fileInternalPath: ['test/**', 'vitest.config.ts'] } },
              allow: {
                to: { element: { type: 'tool', captured: { tool: 'test-harness' }, fileInternalPath: 'dist/index.{js,d.ts}' } },
                dependency: { source: '@hotq/test-harness' },
              },
            },
            // Tools may use any package, through its public entry only.
            {
              from: { element: { type: 'tool' } },
              allow: {
                to: { element: { type: ['package', 'tool'], fileInternalPath: 'dist/index.{js,d.ts}' } },
                dependency: { source: '@hotq/*' },
              },
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
