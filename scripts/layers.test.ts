import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * The layer rules fire: code planted in a temp dir is compiled with each runtime's tsconfig, and import
 * lines are linted as if they sat in each folder, with the repo's own configs. Each planted line is
 * allowed by at least one layer and refused by another, so a rule that stopped firing (or fired on
 * everything) fails here.
 */

const ROOT = path.join(import.meta.dirname, '..');
const LAYER_CONFIGS = ['core', 'workers', 'src', 'node', 'test'].map((l) => `tsconfig.${l}.json`);

function parseConfig(name: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, name), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${name}`);
  return parsed;
}

describe('npm run typecheck', () => {
  mkdirSync(path.join(ROOT, 'generated'), { recursive: true });
  const tempDir = mkdtempSync(path.join(ROOT, 'generated', 'layer-check-'));
  afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

  /** One statement per line; each runtime's tsconfig must accept exactly the ones it lists. */
  const PLANTED: Record<string, string> = {
    nodeImport: "import { readFileSync } from 'node:fs'; export const read = readFileSync;",
    nodeGlobal: 'export const argv = process.argv;',
    dom: 'export const title = document.title;',
    // A type-position use: @types/react's empty DOM interfaces (loaded by "jsx": "react-jsx") let it compile.
    domType: 'export type Target = Document | HTMLElement | KeyboardEvent;',
    workerGlobal: 'export const load = importScripts;',
    sharedGlobals: "export const bytes = new TextEncoder().encode(atob(btoa('x')));",
    fetch: "export const got = fetch('x').then((r) => r.arrayBuffer());",
  };
  const ACCEPTED: Record<string, string[]> = {
    'tsconfig.core.json': ['sharedGlobals', 'fetch'],
    'tsconfig.workers.json': ['sharedGlobals', 'fetch', 'workerGlobal'],
    'tsconfig.src.json': ['sharedGlobals', 'fetch', 'dom', 'domType'],
    'tsconfig.node.json': ['sharedGlobals', 'fetch', 'nodeImport', 'nodeGlobal'],
  };

  it.each(Object.entries(ACCEPTED))('%s refuses the other runtimes’ APIs', (config, accepted) => {
    const file = path.join(tempDir, `${path.basename(config, '.json')}.ts`);
    const names = Object.keys(PLANTED);
    writeFileSync(file, names.map((n) => PLANTED[n]).join('\n'));
    const { options, fileNames } = parseConfig(config);
    // The config's own .d.ts files (core's shared globals) belong to the check.
    const declarations = fileNames.filter((f) => f.endsWith('.d.ts'));
    const program = ts.createProgram([file, ...declarations], {
      ...options,
      composite: false,
      noEmit: true,
      emitDeclarationOnly: false,
    });
    const failing = new Set(
      ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName === file && d.start !== undefined)
        .map((d) => names[d.file!.getLineAndCharacterOfPosition(d.start!).line]),
    );
    expect([...failing].sort()).toEqual(names.filter((n) => !accepted.includes(n)).sort());
  });

  it('checks every file the whole-project tsconfig.json does', () => {
    const layered = new Set(LAYER_CONFIGS.flatMap((c) => parseConfig(c).fileNames));
    const missing = parseConfig('tsconfig.json').fileNames.filter((f) => !layered.has(f));
    expect(missing).toEqual([]);
    expect(parseConfig('tsconfig.layers.json').projectReferences?.map((r) => path.basename(r.path))).toEqual(
      LAYER_CONFIGS,
    );
  });
});

describe('npm run lint: layers/imports', () => {
  const eslint = new ESLint({ cwd: ROOT });

  /** The lines of `code` that the repo's eslint.config.js refuses in `file`. */
  async function refusedLines(file: string, code: string[]): Promise<string[]> {
    const [result] = await eslint.lintText(code.join('\n'), { filePath: path.join(ROOT, file) });
    return result.messages.filter((m) => m.ruleId === 'layers/imports').map((m) => code[m.line - 1]);
  }

  const CASES: { rule: string; file: string; ok: string[]; refused: string[] }[] = [
    {
      rule: 'core/ imports only core/ and pure packages',
      file: 'core/planted.ts',
      ok: ["import { crc32 } from './crc32';", "import { sha256 } from '@noble/hashes/sha2.js';"],
      refused: [
        "import fs from 'node:fs';",
        "import sharp from 'sharp';",
        "import { summarise } from '../bench/stats';",
        "import type { SearchApi } from '../workers/searchApi';",
      ],
    },
    {
      rule: 'src/ imports only types from workers/, and no Node or builder code',
      file: 'src/search/planted.tsx',
      ok: [
        "import type { SearchApi } from '../../workers/searchApi';",
        "import { type LoadInfo } from '../../workers/searchApi';",
        "import { MAX_K } from '../routing/route';",
        "import { parseCatalog } from '../../core/catalog';",
      ],
      refused: [
        "import { toSearchApi } from '../../workers/searchApi';",
        "export const worker = import('../../workers/searchWorker');",
        "import fs from 'node:fs';",
        "import { queryImage } from '../../index-builder/queryImage';",
      ],
    },
    {
      rule: 'workers/ does not import src/',
      file: 'workers/planted.ts',
      ok: ["import { parseCatalog } from '../core/catalog';"],
      refused: ["import { searchClient } from '../src/searchClient';"],
    },
    {
      rule: 'Node product code stays out of bench/, e2e/, testing/ and scripts/; the builder does not import deploy/',
      file: 'index-builder/planted.ts',
      ok: ["import { DataDirWriter } from '../storage/dataDirWriter';"],
      refused: [
        "import { summarise } from '../bench/stats';",
        "import type { RunningSite } from '../e2e/harness';",
        "import { WAIT_MS } from '../testing/timeLimits';",
        "import { startServer } from '../scripts/serve';",
        "import { retry } from '../deploy/retry';",
        "import type { S3Target } from '../deploy/deploy';",
      ],
    },
    {
      rule: 'deploy/ does not import the builder; both use storage/',
      file: 'deploy/planted.ts',
      ok: [
        "import { listObjects } from '../storage/s3Listing';",
        "import { parseManifest } from '../core/manifest';",
      ],
      refused: [
        "import { openDataDir } from '../index-builder/openDataDir';",
        "import { summarise } from '../bench/stats';",
      ],
    },
    {
      rule: 'storage/ imports only core/: it is what the builder and deploy share',
      file: 'storage/planted.ts',
      ok: ["import { parseManifest } from '../core/manifest';", "import { mkdir } from 'node:fs/promises';"],
      refused: [
        "import { publishBuild } from '../index-builder/publishBuild';",
        "import { runDeploy } from '../deploy/deploy';",
      ],
    },
    {
      rule: 'the model code does not import models/research/',
      file: 'models/planted.ts',
      ok: ["import { kerasToOnnx } from './kerasToOnnx';"],
      refused: ["import { cosine } from './research/parity';"],
    },
    {
      rule: 'research may use the model code',
      file: 'models/research/planted.ts',
      ok: ["import { REPO_ROOT } from '../buildModel';", "import { recallAtK } from './retrievalRecall';"],
      refused: [],
    },
    {
      rule: 'the model tests may use research',
      file: 'models/planted.test.ts',
      ok: ["import { cosine } from './research/parity';", "import { kerasToOnnx } from './kerasToOnnx';"],
      refused: [],
    },
    {
      rule: 'tests in product folders take shared helpers from testing/, not bench/ or e2e/',
      file: 'core/planted.test.ts',
      ok: [
        "import { crc32 } from 'node:zlib';",
        "import { gaussian } from '../testing/syntheticEmbeddings';",
      ],
      refused: ["import { summarise } from '../bench/stats';", "import { REPO_ROOT } from '../e2e/harness';"],
    },
    {
      rule: 'the bench takes what it shares with e2e from testing/',
      file: 'bench/planted.ts',
      ok: ["import { launchBrowser } from '../testing/chromium';", "import { summarise } from './stats';"],
      refused: ["import { serverUrl } from '../e2e/harness';"],
    },
    {
      rule: 'testing/ depends on neither the bench nor e2e',
      file: 'testing/planted.ts',
      ok: ["import { loadDataDir } from './loadDataDir';"],
      refused: ["import { summarise } from '../bench/stats';", "import { serverUrl } from '../e2e/harness';"],
    },
  ];

  it.each(CASES)('$rule', async ({ file, ok, refused }) => {
    expect(await refusedLines(file, [...ok, ...refused])).toEqual(refused);
  });
});
