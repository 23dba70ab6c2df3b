import { useEffect, useLayoutEffect } from 'react';

const positions = new Map<string, number>();

/**
 * New pages open at the top; going back returns to where the page was left (e.g. deep in an album).
 * `pageKey` names the page without its k, so changing k does not jump to the top.
 */
export function useScrollRestoration(pageKey: string): void {
  useEffect(() => {
    history.scrollRestoration = 'manual';
  }, []);

  useEffect(() => {
    let frame = 0;
    const onScroll = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => positions.set(pageKey, window.scrollY));
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', onScroll);
    };
  }, [pageKey]);

  useLayoutEffect(() => {
    window.scrollTo(0, positions.get(pageKey) ?? 0);
  }, [pageKey]);
}
