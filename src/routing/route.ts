// Hash routes, so any static host serves every page from one index.html.
//   #/                        home: the albums
//   #/album/<name>?k=5        one album's thumbnails
//   …&part=2                  on an album page: its second part of 100,000 images (src/albumPage/albumParts.ts)
//   #/search/<id>?k=7         an album image and its k nearest neighbours
//   #/search/upload?k=7       the user's own image (held in memory only) and its neighbours
//   …&min=similar             on a search page: hide results less similar than this (core/calibration.ts)
//   …&region=x,y,w,h          on a search page: search only this box of the query image, in fractions of
//                             the upright image (core/imageRegion.ts; clamped to the image, garbage and
//                             0,0,1,1 mean the whole image); the results are those of `npm run query --region`
//   #/duplicates?strictness=similar   groups of near-duplicates at a strictness (default: very-similar)

import { isSimilarityLabel, type SimilarityLabel } from '../../core/calibration';
import { MAX_K } from '../../core/collection';
import { formatRegion, regionFromParam, type ImageRegion } from '../../core/imageRegion';
import {
  DEFAULT_DUPLICATE_STRICTNESS,
  isDuplicateStrictness,
  type DuplicateStrictness,
} from '../../core/duplicatesFormat';

export const DEFAULT_K = 5;
/** Results the collection's calibration calls unrelated are hidden unless the URL asks for them. */
export const DEFAULT_CUT_OFF: SimilarityLabel = 'loosely-related';
/** In URLs the cut-off that hides nothing reads `min=any`. */
const ANY = 'any';
export const MIN_K = 1;
export { MAX_K };

/** The id of the own-image search page; catalog ids are content hashes, so it cannot collide. */
export const UPLOAD_QUERY = 'upload';

/** The duplicates page opens at the strictness `npm run duplicates` prints by default. */
export const DEFAULT_STRICTNESS: DuplicateStrictness = DEFAULT_DUPLICATE_STRICTNESS;

export type SearchQuery = { kind: 'id'; id: string } | { kind: 'upload' };

export type Route =
  | { page: 'home'; k: number }
  /** part: which part of a very large album (1-based); absent = the first. */
  | { page: 'album'; album: string; k: number; part?: number }
  /** cutOff: the least similar label shown; absent = DEFAULT_CUT_OFF. */
  /** region: the box of the query image searched; absent = the whole image. */
  | { page: 'search'; query: SearchQuery; k: number; cutOff?: SimilarityLabel; region?: ImageRegion }
  | { page: 'duplicates'; k: number; strictness: DuplicateStrictness }
  | { page: 'notFound'; path: string; k: number };

/** Any k from a URL becomes a valid one: out-of-range values clamp, garbage falls back to the default. */
export function clampK(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
  if (!Number.isFinite(n)) return DEFAULT_K;
  return Math.min(MAX_K, Math.max(MIN_K, Math.trunc(n)));
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function parseHash(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const queryStart = raw.indexOf('?');
  const path = queryStart === -1 ? raw : raw.slice(0, queryStart);
  const params = new URLSearchParams(queryStart === -1 ? '' : raw.slice(queryStart + 1));
  const k = params.has('k') ? clampK(params.get('k')) : DEFAULT_K;
  const segments = path.split('/').filter((s) => s !== '');

  if (segments.length === 0) return { page: 'home', k };
  const [head, ...rest] = segments;
  // Names may themselves contain '/' once decoded; the encoded form never does.
  const tail = rest.length === 1 ? safeDecode(rest[0]) : null;
  if (head === 'album' && tail !== null && tail !== '') {
    const part = Number(params.get('part'));
    return Number.isSafeInteger(part) && part > 1
      ? { page: 'album', album: tail, k, part }
      : { page: 'album', album: tail, k };
  }
  if (head === 'search' && tail !== null && tail !== '') {
    const query: SearchQuery = tail === UPLOAD_QUERY ? { kind: 'upload' } : { kind: 'id', id: tail };
    const min = params.get('min');
    const cutOff = min === ANY ? 'unrelated' : isSimilarityLabel(min) ? min : undefined;
    return withRegion(
      cutOff === undefined || cutOff === DEFAULT_CUT_OFF
        ? { page: 'search', query, k }
        : { page: 'search', query, k, cutOff },
      regionFromParam(params.get('region')),
    );
  }
  if (head === 'duplicates' && rest.length === 0) {
    const strictness = params.get('strictness');
    return {
      page: 'duplicates',
      k,
      strictness: isDuplicateStrictness(strictness) ? strictness : DEFAULT_STRICTNESS,
    };
  }
  return { page: 'notFound', path, k };
}

export function formatHash(route: Route): string {
  switch (route.page) {
    case 'home':
      return route.k === DEFAULT_K ? '#/' : `#/?k=${route.k}`;
    case 'album': {
      const part = route.part !== undefined && route.part > 1 ? `&part=${route.part}` : '';
      return `#/album/${encodeURIComponent(route.album)}?k=${route.k}${part}`;
    }
    case 'search': {
      const target = route.query.kind === 'upload' ? UPLOAD_QUERY : encodeURIComponent(route.query.id);
      const cutOff = route.cutOff ?? DEFAULT_CUT_OFF;
      const min = cutOff === DEFAULT_CUT_OFF ? '' : `&min=${cutOff === 'unrelated' ? ANY : cutOff}`;
      const region = route.region ? `&region=${formatRegion(route.region)}` : '';
      return `#/search/${target}?k=${route.k}${min}${region}`;
    }
    case 'duplicates': {
      const params = new URLSearchParams();
      if (route.k !== DEFAULT_K) params.set('k', String(route.k));
      if (route.strictness !== DEFAULT_STRICTNESS) params.set('strictness', route.strictness);
      return params.size === 0 ? '#/duplicates' : `#/duplicates?${params}`;
    }
    case 'notFound':
      return `#/${route.path.replace(/^\/+/, '')}`;
  }
}

export const homeHref = (k: number): string => formatHash({ page: 'home', k });
export const albumHref = (album: string, k: number, part?: number): string =>
  formatHash({ page: 'album', album, k, part });
export const searchHref = (id: string, k: number, cutOff?: SimilarityLabel): string =>
  formatHash({ page: 'search', query: { kind: 'id', id }, k, cutOff });
export const uploadHref = (k: number): string => formatHash({ page: 'search', query: { kind: 'upload' }, k });
export const duplicatesHref = (k: number, strictness: DuplicateStrictness = DEFAULT_STRICTNESS): string =>
  formatHash({ page: 'duplicates', k, strictness });

/** The same duplicates page at another strictness. */
export function withStrictness(route: Route, strictness: DuplicateStrictness): Route {
  return route.page === 'duplicates' ? { ...route, strictness } : route;
}

/** The same search page with another cut-off. */
export function withCutOff(route: Route, cutOff: SimilarityLabel): Route {
  if (route.page !== 'search') return route;
  const { cutOff: _old, ...rest } = route;
  return cutOff === DEFAULT_CUT_OFF ? rest : { ...rest, cutOff };
}

/** The same search page with only `region` of the query image searched (null: the whole image). */
export function withRegion(route: Route, region: ImageRegion | null): Route {
  if (route.page !== 'search') return route;
  const { region: _old, ...rest } = route;
  return region === null ? rest : { ...rest, region };
}

/** The same page with another k. */
export function withK(route: Route, k: number): Route {
  return { ...route, k: clampK(k) };
}
