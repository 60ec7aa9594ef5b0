// Lint rules for the TypeScript sources and tests (issue 18): typescript-eslint's recommended set,
// checked in .ci/run. Formatting is not linted here.
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['dist/**', 'node_modules/**', 'coverage/**'] }, ...tseslint.configs.recommended, {
  rules: {
    // `_name` marks a value kept on purpose (destructuring a field away, an unused callback argument).
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
  },
});
