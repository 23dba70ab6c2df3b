import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { layersPlugin } from './scripts/eslintLayerRule.js';

const TESTS = ['**/*.test.ts', '**/*.test.tsx'];
const PRODUCT_FOLDERS = ['core', 'workers', 'src', 'index-builder', 'deploy', 'models'];

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
          packages: ['@noble/hashes'],
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
    files: ['index-builder/**/*.ts', 'deploy/**/*.ts', 'models/**/*.ts'],
    ignores: [...TESTS, 'models/research/**'],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        {
          forbid: ['bench', 'e2e', 'testing', 'src', 'workers', 'models/research'],
          why: 'Product code stays out of measurements, tests and browser code',
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
    // Known exceptions until e2e/fixtureImages.ts (being edited for the duplicates feature) moves to testing/.
    files: [
      'deploy/deployedSite.test.ts',
      'index-builder/shardedLayout.test.ts',
      'index-builder/duplicatesCli.test.ts',
    ],
    plugins: { layers: layersPlugin },
    rules: {
      'layers/imports': [
        'error',
        { forbid: ['bench'], why: 'Helpers shared with the bench belong in testing/' },
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
