/**
 * The file to search with from a drop or paste: the first image, else the first file of any type, so a
 * wrongly-typed or broken file gets a clear "couldn't read" message instead of being silently ignored.
 */
export function pickImageFile<T extends { type: string }>(files: ArrayLike<T>): T | null {
  const list = Array.from(files);
  return list.find((f) => f.type.startsWith('image/')) ?? list[0] ?? null;
}

/** Whether a drag carries files at all (text or links being dragged should not show the drop overlay). */
export function dragHasFiles(types: readonly string[]): boolean {
  return types.includes('Files');
}
