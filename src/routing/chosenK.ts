import { clampK, formatHash, parseHash, withK } from './route';

/*
 * The k a person chose last, for this tab. A k choice replaces the URL (the back button skips it), so
 * the history entries before it still name the old k: Back to the album page would show k=5 again after
 * choosing 10 on an image, and the next image would open with 5. So the choice is remembered
 * (sessionStorage: per tab like the history, and it survives a reload) and every history entry records,
 * in history.state, which choice it last showed. An entry shown again after a newer choice (Back,
 * Forward, a reload of an old entry) takes the chosen k, its URL corrected to say so. A new entry — a
 * link followed, a URL typed or pasted, a first load — keeps the k its URL carries: someone chose that.
 */

/** One choice of k; `id` tells choices apart (a counter for the tab). */
export interface KChoice {
  k: number;
  id: number;
}

const STORAGE_KEY = 'lookalike:chosen-k';
/** The property of history.state that records the choice an entry last showed (0: none yet). */
const STATE_KEY = 'lookalikeKChoice';

// Where sessionStorage is refused (some privacy settings), the choice lasts as long as the page.
let inMemory: KChoice | null = null;

function parseChoice(text: string | null): KChoice | null {
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<KChoice> | null;
    return typeof parsed?.k === 'number' && Number.isSafeInteger(parsed.id)
      ? { k: clampK(parsed.k), id: parsed.id! }
      : null;
  } catch {
    // Written by this module, so only a hand-edited value gets here: it is no choice.
    return null;
  }
}

function lastChoice(): KChoice | null {
  try {
    return parseChoice(sessionStorage.getItem(STORAGE_KEY)) ?? inMemory;
  } catch {
    return inMemory;
  }
}

function storeChoice(choice: KChoice): void {
  inMemory = choice;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(choice));
  } catch {
    // Kept in memory alone: Back and Forward still work, a reload forgets the choice.
  }
}

/** The choice a history entry last showed: undefined for an entry this app has not shown yet. */
function entrySeen(state: unknown): number | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const seen = (state as Record<string, unknown>)[STATE_KEY];
  return typeof seen === 'number' ? seen : undefined;
}

function stamped(state: unknown, id: number): Record<string, unknown> {
  const base = typeof state === 'object' && state !== null ? (state as Record<string, unknown>) : {};
  return { ...base, [STATE_KEY]: id };
}

/**
 * The hash a history entry should show: its own for a new entry (`seen` undefined) or one that already
 * showed the last choice, else the same page with the chosen k. Also what the entry now records.
 */
export function entryHash(
  hash: string,
  seen: number | undefined,
  choice: KChoice | null,
): { hash: string; seen: number } {
  const current = choice?.id ?? 0;
  if (seen === undefined || seen === current || choice === null) return { hash, seen: current };
  const route = parseHash(hash);
  return { hash: route.k === choice.k ? hash : formatHash(withK(route, choice.k)), seen: current };
}

/**
 * Brings the current history entry up to the last chosen k (see above). Runs before anything reads the
 * route: before the first render and first in every route change, so no page is drawn with a stale k.
 * Replaces the entry without an event, as its readers have not read it yet.
 */
export function restoreChosenK(): void {
  const seen = entrySeen(history.state);
  const next = entryHash(window.location.hash, seen, lastChoice());
  if (next.seen === seen && next.hash === window.location.hash) return;
  // Leaving the URL out keeps it exactly (the bare site's URL has no hash to write back).
  const url = next.hash === window.location.hash ? undefined : next.hash;
  history.replaceState(stamped(history.state, next.seen), '', url);
}

/** Remembers k as the person's choice; the current entry shows it (its URL is then replaced with it). */
export function chooseK(k: number): void {
  const choice = { k: clampK(k), id: (lastChoice()?.id ?? 0) + 1 };
  storeChoice(choice);
  history.replaceState(stamped(history.state, choice.id), '');
}
