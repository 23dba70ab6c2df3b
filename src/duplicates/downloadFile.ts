/**
 * Saves `text` as a file the browser downloads, built in the page (there is no server to ask). The
 * object URL outlives the click by a while: revoking it at once can cancel the download in some browsers.
 */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
