import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '../core/modelSpec';
import { runScript } from '../testing/builderCli';
import { buildModel, buildStamp, DEFAULT_MODEL } from './buildModel';
import { ensureDefaultModel, ensureNsfwjsModel } from './ensureModel';
import { NSFWJS_EMBEDDINGS } from './nsfwjsEmbeddings';
import type { NsfwjsModelName } from './nsfwjsModel';

describe('buildModel', () => {
  it('writes a ≤ 4 MB ONNX model, its spec and its stamp', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'build-model-'));
    const built = await buildModel({ model: 'mobilenet_v2', outDir: out, quiet: true });
    expect(built.onnxPath).toBe(path.join(out, 'mobilenet_v2.onnx'));
    expect(statSync(built.onnxPath).size).toBeLessThanOrEqual(4_000_000);
    const spec = parseModelSpec(JSON.parse(readFileSync(path.join(out, 'mobilenet_v2.json'), 'utf8')));
    expect(spec).toEqual(built.spec);
    expect(spec.file).toBe('mobilenet_v2.onnx');
    expect(spec.id).toMatch(/^mobilenet_v2-nsfwjs-.+-float16-[0-9a-f]{8}$/);
    expect(readFileSync(path.join(out, 'mobilenet_v2.stamp'), 'utf8')).toBe(
      buildStamp('mobilenet_v2', 'float16'),
    );

    const session = await ort.InferenceSession.create(built.onnxPath);
    expect(session.inputNames).toEqual([spec.input.name]);
    expect(session.outputNames).toEqual([spec.output.name]);
    // Dynamic batch: two images in, two unit rows out.
    const x = new Float32Array(2 * 3 * 224 * 224).map((_, i) => Math.sin(i) * 0.5);
    const y = (await session.run({ [spec.input.name]: new ort.Tensor('float32', x, [2, 3, 224, 224]) }))[
      spec.output.name
    ];
    expect(y.dims).toEqual([2, spec.output.dim]);
    const data = y.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      const row = data.subarray(r * spec.output.dim, (r + 1) * spec.output.dim);
      expect(Math.sqrt(row.reduce((s, v) => s + v * v, 0))).toBeCloseTo(1, 5);
    }
    await session.release();
  });

  it('gives the same id for the same bytes (the id keys embedding caches)', async () => {
    const a = await buildModel({
      model: 'mobilenet_v2',
      outDir: mkdtempSync(path.join(tmpdir(), 'build-model-a-')),
      quiet: true,
    });
    const { spec } = await ensureNsfwjsModel('mobilenet_v2', { quiet: true });
    expect(spec.id).toBe(a.spec.id);
    const { spec: defaultSpec } = await ensureDefaultModel({ quiet: true });
    expect(defaultSpec.id).toMatch(/^mobilenet_v2_mid-nsfwjs-.+-float16-[0-9a-f]{8}$/);
    // The default frames the subject of images with transparent or uniform opaque margins: a version-3
    // spec, named in its id; the Keras choice does not, and keeps a version-1 spec and the id it had.
    expect(defaultSpec.specVersion).toBe(3);
    expect(defaultSpec.input.frameSubject).toEqual({
      alphaAbove: 16,
      coverage: 0.97,
      uniformMargin: { tolerance: 24 },
    });
    expect(defaultSpec.id).toContain('-frame0.97a16m24-');
    expect(spec.specVersion).toBe(1);
    expect(spec.input.frameSubject).toBeUndefined();
    expect(spec.id).not.toContain('frame');
    const int8 = await buildModel({
      model: 'mobilenet_v2',
      outDir: mkdtempSync(path.join(tmpdir(), 'build-model-b-')),
      weights: 'int8',
      quiet: true,
    });
    expect(int8.spec.id).not.toBe(a.spec.id);
    expect(path.basename(int8.onnxPath)).toBe('mobilenet_v2.int8.onnx');
  });

  it("names a scales override in the file; with no further pass the id is the single-pass model's", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'build-model-scales-'));
    const choice = NSFWJS_EMBEDDINGS.mobilenet_v2_mid;
    expect(choice.scales?.length).toBeGreaterThan(0);
    const multi = await buildModel({ model: 'mobilenet_v2_mid', outDir: out, quiet: true });
    const single = await buildModel({
      model: 'mobilenet_v2_mid',
      outDir: out,
      variant: { scales: [], companion: null },
      quiet: true,
    });
    const other = await buildModel({
      model: 'mobilenet_v2_mid',
      outDir: out,
      variant: { scales: [128] },
      quiet: true,
    });
    expect(path.basename(multi.onnxPath)).toBe('mobilenet_v2_mid.onnx');
    expect(path.basename(single.onnxPath)).toBe('mobilenet_v2_mid.single-scale.alone.onnx');
    expect(path.basename(other.onnxPath)).toBe('mobilenet_v2_mid.s128.onnx');
    expect(multi.spec.id).toContain(`-s${choice.scales!.join('s')}-`);
    expect(other.spec.id).toContain('-s128-');
    // One pass and no companion is the graph the converter wrote before either existed: neither in its
    // id (which names the choice's framing, a change to what the model sees rather than to its bytes).
    expect(single.spec.id).toMatch(
      /^mobilenet_v2_mid-nsfwjs-ec6ec12expand-gem3-rgb6w0\.1-frame0\.97a16m24-float16-[0-9a-f]{8}$/,
    );
    expect(single.bytes).toBeLessThan(multi.bytes);
    await expect(
      buildModel({ model: 'mobilenet_v2', outDir: out, variant: { scales: [128] }, quiet: true }),
    ).rejects.toThrow(/further input scales need a TF graph model/);
  });

  it('joins a companion network: named in the file and id, its dims appended, none without it', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'build-model-companion-'));
    const companion = { model: 'mobilenet_v2', side: 128, weight: 0.5, standardise: true } as const;
    const alone = await buildModel({
      model: 'mobilenet_v2_mid',
      outDir: out,
      variant: { companion: null },
      quiet: true,
    });
    const pair = await buildModel({
      model: 'mobilenet_v2_mid',
      outDir: out,
      variant: { companion },
      quiet: true,
    });
    expect(path.basename(alone.onnxPath)).toBe('mobilenet_v2_mid.alone.onnx');
    expect(path.basename(pair.onnxPath)).toBe('mobilenet_v2_mid.with-mobilenet_v2s128w0.5std.onnx');
    expect(alone.spec.id).not.toContain('with-');
    expect(pair.spec.id).toContain('-with-mobilenet_v2s128w0.5std-');
    // The companion's taps: blocks 10 and 13's expansions, 384 + 576 channels.
    expect(pair.spec.output.dim).toBe(alone.spec.output.dim + 960);
    expect(pair.spec.input).toEqual(alone.spec.input);

    // The main part of the joined embedding is the lone model's, scaled by the joint normalisation.
    const side = alone.spec.input.width;
    const x = new Float32Array(3 * side * side).map((_, i) => 0.5 + 0.4 * Math.sin(i * 0.013));
    const embed = async (file: string) => {
      const session = await ort.InferenceSession.create(file);
      const y = await session.run({ input: new ort.Tensor('float32', x, [1, 3, side, side]) });
      await session.release();
      return y.embedding.data as Float32Array;
    };
    const a = await embed(alone.onnxPath);
    const b = await embed(pair.onnxPath);
    const scale = Math.hypot(...b.subarray(0, a.length));
    let cos = 0;
    for (let i = 0; i < a.length; i++) cos += (a[i] * b[i]) / scale;
    expect(cos).toBeGreaterThan(0.99999);
    // Its share: the companion part has length weight relative to the main part's 1.
    expect(Math.hypot(...b.subarray(a.length)) / scale).toBeCloseTo(0.5, 4);
    // The spec says where the colour block is (after the two taps, 288 + 816), in both: its values
    // have the block's weight, 0.1, against each tap's unit length.
    expect(alone.spec.output.colourBlock).toEqual({ offset: 1104, dim: 216 });
    expect(pair.spec.output.colourBlock).toEqual(alone.spec.output.colourBlock);
    expect(Math.hypot(...a.subarray(1104, 1320)) / Math.hypot(...a.subarray(288, 1104))).toBeCloseTo(0.1, 5);

    await expect(
      buildModel({
        model: 'mobilenet_v2',
        outDir: out,
        variant: { companion: { ...companion, model: 'mobilenet_v2_mid' } },
        quiet: true,
      }),
    ).rejects.toThrow(/mobilenet_v2_mid cannot be a companion/);
  });

  it('rejects unknown models', async () => {
    await expect(buildModel({ model: 'resnet' as NsfwjsModelName, quiet: true })).rejects.toThrow(
      /unknown model 'resnet'/,
    );
  });
});

describe('npm run build-model', () => {
  it('builds the default model of build-index and ensureDefaultModel when no --model is named', async () => {
    const { specPath } = await ensureDefaultModel({ quiet: true });
    expect(path.basename(specPath)).toBe(`${DEFAULT_MODEL}.json`);
    const help = await runScript('models/buildModel.ts', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      new RegExp(`--model <name>\\s+which nsfwjs model \\(choices: [^)]*default:\\s+"${DEFAULT_MODEL}"\\)`),
    );
  });

  it('says in --help that the default model has a colour block of its own, which --colour-bins replaces', async () => {
    const help = (await runScript('models/buildModel.ts', ['--help'])).stdout.replace(/\s+/g, ' ');
    // Read as "no colour block unless asked, at weight 0.3" before; the default has 6 bins at 0.1.
    expect(help).toContain(
      "--colour-bins <n> a colour histogram block with n³ joint RGB bins, replacing the model's choice " +
        '(mobilenet_v2_mid: 6 bins at weight 0.1; the others none)',
    );
    expect(help).toContain(
      '--colour-weight <w> with --colour-bins: its weight next to each unit-length tap block (default 0.3)',
    );
  });

  it('writes --weights int8 of the default model, without style pairs, into an --out taken from INIT_CWD', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'build-model-cli-'));
    try {
      // npm run starts the CLI in the package root (the child's cwd here), and says in INIT_CWD where
      // the user was. docs/model.md: `--weights int8` gives mobilenet_v2_mid.int8.onnx, …
      const run = await runScript('models/buildModel.ts', ['--weights', 'int8', '--out', 'models'], {
        INIT_CWD: dir,
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const base = `${DEFAULT_MODEL}.int8`;
      expect(readdirSync(path.join(dir, 'models')).sort()).toEqual(
        [`${base}.json`, `${base}.onnx`, `${base}.stamp`].sort(),
      );
      expect(run.stdout).toMatch(
        new RegExp(
          `^built ${path.join('models', `${base}.onnx`).replace(/\./g, '\\.')} \\(.* MB, int8 weights`,
        ),
      );
      expect(existsSync(path.join(dir, 'models', `${DEFAULT_MODEL}.style-pairs.bin`))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
