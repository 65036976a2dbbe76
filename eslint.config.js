// Lint for the project's TypeScript and JavaScript: rules that catch bugs (unused and
// undefined names, loose equality, switch fall-through, promises nobody awaits or catches),
// not layout. Run with `npm run lint`; scripts/test.sh runs it and counts a failure.
// TypeScript files are linted with their types (tsconfig.eslint.json), so the promise rules
// see what a call returns.
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

// The files linted; everything else (dist/, native/, node_modules/) is out of scope.
const scope = ['packages/*/src', 'packages/*/test', 'test', 'benchmarks', 'examples'];
const ts = scope.map((d) => `${d}/**/*.ts`);
const jsFiles = scope.flatMap((d) => [`${d}/**/*.js`, `${d}/**/*.mjs`, `${d}/**/*.cjs`]);

// Rules shared by both languages: each one flags code that is wrong or dead, not style.
const bugRules = {
  eqeqeq: ['error', 'always', { null: 'ignore' }], // `x == null` (null or undefined) is the idiom
  'no-fallthrough': 'error',
  'no-self-compare': 'error',
  'no-template-curly-in-string': 'error',
  'no-unreachable-loop': 'error',
  'no-constructor-return': 'error',
  'no-unused-private-class-members': 'error',
  'array-callback-return': 'error',
  'no-empty': ['error', { allowEmptyCatch: true }],
};
const unusedOptions = {
  args: 'after-used',
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrors: 'none',
  ignoreRestSiblings: true,
};

module.exports = tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/build/**'] },
  {
    files: jsFiles,
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
    rules: {
      ...bugRules,
      'no-unused-vars': ['error', unusedOptions],
      'no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    files: scope.map((d) => `${d}/**/*.mjs`),
    languageOptions: { sourceType: 'module' },
  },
  {
    files: ts,
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // One program for every linted TypeScript file (sources and tests): one type-check
        // instead of one per tsconfig keeps the lint at about half the time.
        project: ['./tsconfig.eslint.json'],
        tsconfigRootDir: __dirname,
      },
    },
    rules: {
      ...bugRules,
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', unusedOptions],
      // Type-aware rules that find bugs: a promise dropped on the floor (its rejection is
      // an unhandled rejection that kills the process), awaiting a non-promise. `void p`
      // says "dropped on purpose". tap queues a subtest whose promise is not awaited: `t.test(...)` is safe as is.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafePromises: [
            { from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' },
          ],
        },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      // `return promise` inside try: a rejection skips the catch and finally runs too early.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Rethrowing what a try caught (unknown) is fine; rejecting with a string is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Off: the recommended sets' strictness and style rules. `any` from JSON, the addon and
      // test doubles is deliberate; lazy require() of optional modules is deliberate; the
      // class + interface merge types the EventEmitter overloads of Socket and Server.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      // `declare namespace` types a CommonJS export's properties (a plugin's d.ts idiom).
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      // The adapters wrap node's methods (keep the original, call it with .call(this)).
      '@typescript-eslint/unbound-method': 'off',
      // String(x) of user input in validation messages is what node does too.
      '@typescript-eslint/no-base-to-string': 'off',
      'prefer-const': 'off',
    },
  },
);
