import sharp from 'sharp';
import type { ChildReady, RenderReply, RenderRequest } from './vectorRenderer';

// The child of index-builder/vectorRenderer.ts: renders one vector image at a time to PNG. It may be
// killed mid-render; it ends by itself when its parent goes.
process.on('message', (request: RenderRequest) => {
  const { id, bytes, maxPixels, side } = request;
  const reply = (r: RenderReply) => process.send?.(r);
  sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    limitInputPixels: maxPixels,
    failOn: 'warning',
    animated: false,
    autoOrient: true,
  })
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer()
    .then(
      (png) => reply({ id, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) }),
      (err: unknown) => reply({ id, error: err instanceof Error ? err.message : String(err) }),
    );
});
process.on('disconnect', () => process.exit(0));
// Loaded (tsx, sharp): the parent starts a rendering's clock only now.
process.send?.({ ready: true } satisfies ChildReady);
