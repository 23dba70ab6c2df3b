import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';
import { fixtureModelSpec } from '../testing/modelSpecFixture';
import { OnnxGraph, valueInfo } from './onnxGraph';

/** A tiny classifier (data → GlobalAveragePool → Flatten) and its spec in `dir`, as a user downloads them. */
function tinyModel(dir: string): void {
  const g = new OnnxGraph();
  const data = g.fresh('data');
  const pooled = g.node('GlobalAveragePool', [data], 'pool');
  const logits = g.node('Flatten', [pooled], 'logits', { axis: 1 });
  writeFileSync(
    path.join(dir, 'classifier.onnx'),
    g.toBytes({
      name: 'tiny',
      inputs: [valueInfo(data, ['N', 3, 8, 8])],
      outputs: [valueInfo(logits, ['N', 3])],
    }),
  );
  writeFileSync(
    path.join(dir, 'tiny.json'),
    JSON.stringify(
      fixtureModelSpec({
        id: 'tiny',
        file: 'tiny-prepared.onnx',
        input: { name: 'data', width: 8, height: 8, fit: 'stretch', std: [1, 1, 1] },
        output: { name: 'pool', dim: 3 },
      }),
    ),
  );
}

describe('npm run prepare-model', () => {
  it('takes --in, --spec and --out from the folder npm was run in (INIT_CWD)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prepare-model-cli-'));
    try {
      tinyModel(dir);
      // npm run starts the CLI in the package root (the child's cwd here), and says in INIT_CWD where
      // the user was.
      const args = ['--in', 'classifier.onnx', '--spec', './tiny.json', '--out', 'prepared'];
      const run = await runScript('models/prepareModel.ts', args, { INIT_CWD: dir });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(existsSync(path.join(dir, 'prepared', 'tiny-prepared.onnx'))).toBe(true);
      expect(existsSync(path.join(dir, 'prepared', 'tiny-prepared.json'))).toBe(true);
      // Named as the user would type them from where they are.
      const written = (name: string) => path.join('prepared', name);
      expect(run.stdout).toBe(
        `wrote ${written('tiny-prepared.onnx')} and ${written('tiny-prepared.json')} (3-d pool)\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks --in, --spec and --out required in --help', async () => {
    const help = await runScript('models/prepareModel.ts', ['--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('--in <onnx> the downloaded ONNX model (required)');
    expect(text).toContain('--spec <json> its spec, e.g. models/specs/resnet50-v1-12-qdq.json (required)');
    expect(text).toContain('--out <dir> where to write the prepared model and spec (required)');
    expect(text).toMatch(/--tensor <name> feature tensor to expose \(default: the spec's output\.name\) -h/);
  });
});
