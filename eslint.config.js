import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { layersPlugin } from './scripts/eslintLayerRule.js';

const TESTS = ['**/*.test.ts', '**/*.test.tsx'];
const PRODUCT_FOLDERS = ['core', 'workers', 'src', 'index-builder', 'deploy', 'storage', 'models'];
// scripts/ too: it holds the dev server and the demo and dev-set scripts, which product code may not lean on.
const NODE_PRODUCT_FORBIDS = ['bench', 'e2e', 'testing', 'scripts', 'src', 'workers', 'models/research'];
const NODE_PRODUCT_WHY = 'Product code stays out of measurements, tests, dev scripts and browser code';

/*
 * Which folder may import what (the compiler half is the tsconfig per runtime, tsconfig.layers.json).
 * Product code never imports bench/, e2e/ or testing/; shared test helpers live in testing/.
 */
const layerRules = [
  {
    files: ['core/**/*.ts'],
    ignores: TESTS,
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          allow: ['core'],
          packages: ['@noble/hashes', 'fflate'],
          nodeBuiltins: false,
          why: 'core/ is shared by Node and the browser; add a package here only if it runs in both',
        },
      ],
    },
  },
  {
    files: ['workers/**/*.ts'],
    ignores: TESTS,
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          allow: ['workers', 'core'],
          nodeBuiltins: false,
          why: 'Workers run in the browser, without Node, and never load page code',
        },
      ],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: TESTS,
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          allow: ['src', 'core'],
          // The page talks to the worker through Comlink; the worker's code is loaded by URL (searchClient.ts).
          typesOnly: ['workers'],
          nodeBuiltins: false,
          why: 'The page runs without Node and reaches the worker only through searchClient.ts',
        },
      ],
    },
  },
  {
    files: ['models/**/*.ts'],
    ignores: [...TESTS, 'models/research/**'],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': ['error', { forbid: NODE_PRODUCT_FORBIDS, why: NODE_PRODUCT_WHY }],
    },
  },
  // The builder and deploy meet only in storage/ (data dir, S3), so either can change without the other.
  ...[
    ['index-builder', 'deploy'],
    ['deploy', 'index-builder'],
  ].map(([folder, other]) => ({
    files: [`${folder}/**/*.ts`],
    ignores: TESTS,
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          forbid: [...NODE_PRODUCT_FORBIDS, other],
          why: `${NODE_PRODUCT_WHY}; deploy/ and index-builder/ do not import each other (shared code lives in storage/)`,
        },
      ],
    },
  })),
  {
    files: ['storage/**/*.ts'],
    ignores: TESTS,
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          allow: ['storage', 'core'],
          why: 'storage/ is what the builder and deploy share, so it imports neither',
        },
      ],
    },
  },
  {
    files: PRODUCT_FOLDERS.flatMap((f) => TESTS.map((t) => `${f}/${t}`)),
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        { forbid: ['bench', 'e2e'], why: 'Helpers shared by tests and the bench or e2e belong in testing/' },
      ],
    },
  },
  {
    files: ['bench/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          forbid: ['e2e'],
          why: 'What the bench shares with e2e (browser, page waits, fixtures) belongs in testing/',
        },
      ],
    },
  },
  {
    // testing/ is imported by the tests, e2e and the bench, so it depends on none of them.
    files: ['testing/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        { forbid: ['bench', 'e2e'], why: 'testing/ holds what the tests, e2e and the bench share' },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'generated', 'test-results', 'playwright-report'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
);
