import { useEffect, useRef } from 'react';

/**
 * After a client-side page change, focus moves to the main region (as after a full page load), so
 * keyboard and screen-reader users start on the new page rather than on a link that no longer exists.
 */
export function useFocusOnNavigation(pageKey: string, mainId: string): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById(mainId)?.focus({ preventScroll: true });
  }, [pageKey, mainId]);
}
