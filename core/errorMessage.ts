/**
 * The text to show for anything thrown: an Error's message; the `message` of an object that has one (an
 * error that crossed the worker boundary as a plain object, an ErrorEvent); anything else as a string.
 * Shared by the worker and the page.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
