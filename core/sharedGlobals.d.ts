/*
 * The globals core/ may use: only what Node ≥ 20, browser pages and workers all provide, typed as far
 * as core/ uses them. tsconfig.core.json loads neither the DOM nor the Node declarations, so any other
 * global (document, window, process, Buffer, …) is a compile error in core/; add a name here only if
 * every runtime has it. Only tsconfig.core.json reads this file: the other configs get these names
 * from their own DOM, WebWorker or Node declarations, which these would clash with.
 */

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function setTimeout(handler: () => void, ms?: number): unknown;
declare function clearTimeout(id: unknown): void;

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}

declare class URL {
  constructor(url: string, base?: string);
  readonly href: string;
  toString(): string;
}

interface AbortSignal {
  readonly aborted: boolean;
}

declare const AbortSignal: {
  any(signals: AbortSignal[]): AbortSignal;
};

declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

interface RequestInit {
  headers?: Record<string, string>;
  cache?: 'default' | 'force-cache' | 'no-cache' | 'no-store' | 'only-if-cached' | 'reload';
  signal?: AbortSignal;
}

interface Response {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: {
    cancel(): Promise<void>;
    getReader(): {
      read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
      cancel(): Promise<void>;
    };
  } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

declare function fetch(input: string, init?: RequestInit): Promise<Response>;
