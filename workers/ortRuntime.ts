import type * as Ort from 'onnxruntime-web';
import type { SearchWorkerName } from './searchApi';
// The runtime's files are served by this site (never a CDN): Vite emits them as assets and these are their URLs.
import wasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
// onnxruntime-web 1.30's WebGPU build runs the C++ WebGPU provider in the asyncify build (the JSEP
// build is what the JS-kernel provider used; its glue lacks webgpuInit).
import webGpuBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import webGpuGlueUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';

/*
 * Loads onnxruntime-web on demand. The plain WASM build (14 MB .wasm) is the default; the asyncify build
 * (27 MB, WebGPU) is imported only when the browser offers a WebGPU adapter, so other visitors never
 * download it. Vite resolves 'onnxruntime-web/*' with the 'onnxruntime-web-use-extern-wasm' condition,
 * which keeps the emscripten glue (.mjs) out of the bundle: it is loaded from its own URL, and that
 * URL is also what the pthread workers start from.
 */

export type ExecutionProvider = 'webgpu' | 'wasm';

export interface OrtRuntime {
  ort: typeof Ort;
  executionProvider: ExecutionProvider;
  threads: number;
}

interface AdapterLike {
  info?: { isFallbackAdapter?: boolean };
  /** Where browsers had it before GPUAdapterInfo did. */
  isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}

/**
 * The worker's name when the page asks for a software WebGPU adapter to be used (src/searchClient.ts,
 * the page's `?webgpu=software`): how the e2e tests run the WebGPU path on a machine without a GPU.
 */
const SOFTWARE_WEBGPU_WORKER: SearchWorkerName = 'lookalike-search+software-webgpu';

/**
 * True when WebGPU is exposed and yields a hardware adapter (headless and blocklisted GPUs yield none).
 * A fallback adapter is the CPU drawing as a GPU would (SwiftShader): on one, own-image searches took
 * 11–15 s against 0.1–0.8 s on WASM in a walk-through, so it counts as none unless `allowSoftware`.
 */
export async function webGpuAvailable(
  allowSoftware = globalThis.name === SOFTWARE_WEBGPU_WORKER,
): Promise<boolean> {
  const gpu = (globalThis.navigator as WorkerNavigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return false;
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return false;
    return allowSoftware || !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false);
  } catch {
    return false;
  }
}

/** Threads only work with SharedArrayBuffer, i.e. when the page is cross-origin isolated. */
export function wasmThreadCount(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, globalThis.navigator.hardwareConcurrency || 1));
}

function absolute(url: string): string {
  return new URL(url, globalThis.location.href).href;
}

function configure(ort: typeof Ort, binaryUrl: string, glueUrl: string, threads: number): void {
  ort.env.wasm.wasmPaths = { wasm: absolute(binaryUrl), mjs: absolute(glueUrl) };
  ort.env.wasm.numThreads = threads;
  // We already run in a worker; ORT's own proxy worker would only add a copy of every tensor.
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

/** Imports and configures the build for `provider`. */
export async function loadOrtRuntime(provider: ExecutionProvider): Promise<OrtRuntime> {
  const threads = wasmThreadCount();
  if (provider === 'webgpu') {
    const ort = await import('onnxruntime-web/webgpu');
    configure(ort, webGpuBinaryUrl, webGpuGlueUrl, threads);
    return { ort, executionProvider: 'webgpu', threads };
  }
  const ort = await import('onnxruntime-web/wasm');
  configure(ort, wasmBinaryUrl, wasmGlueUrl, threads);
  return { ort, executionProvider: 'wasm', threads };
}
