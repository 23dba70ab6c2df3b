/**
 * The whole body of an HTTP answer, read chunk by chunk so that the caller sees each chunk's size as it
 * arrives (for progress, and to restart a stall limit: core/stallTimer.ts).
 */
export async function readBody(response: Response, arrived: (bytes: number) => void): Promise<Uint8Array> {
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    arrived(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
    arrived(value.length);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
