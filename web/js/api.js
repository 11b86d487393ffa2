// Talking to the strikemap API. The page never filters in JavaScript: every filter becomes an
// API parameter, and the server answers.
import { FILTERS, state } from './state.js';

/** Up to this many matches the map draws GeoJSON it holds; beyond, the server's tiles. */
export const SMALL = 2000;
/** Incidents per list page fetched. */
export const LIST_PAGE = 100;

/** API parameters for the current filters; `withDates` false leaves the date range out. */
export function filterParams(filters = state.filters, withDates = true) {
  const p = new URLSearchParams();
  for (const [name, param] of Object.entries(FILTERS)) {
    if (param && filters[name]) p.set(param, filters[name]);
  }
  if (withDates && (filters.from || filters.to)) {
    p.set('datetime', `${filters.from || '..'}/${filters.to || '..'}`);
  }
  return p;
}

/** As `filterParams`, with the reader's naming (for answers that carry place names). */
export function namedParams(filters = state.filters, withDates = true) {
  const p = filterParams(filters, withDates);
  // Names in every answer (list, details, exports, print) follow the reader's choice.
  if (state.naming !== 'hy-az') p.set('naming', state.naming);
  return p;
}

/** An error the API returned, with its description and the parameter it names. */
export class ApiError extends Error {
  constructor(body, status) {
    super(body?.description || `request failed (${status})`);
    this.parameter = body?.parameter;
    this.expected = body?.expected;
    this.suggestions = body?.suggestions || [];
    this.status = status;
  }
}

export async function getJson(path, params, { signal } = {}) {
  const url = params && [...params].length ? `${path}?${params}` : path;
  let response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError({ description: 'the server could not be reached; check the connection and try again' }, 0);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(body, response.status);
  return body;
}

/** Every match, as GeoJSON (only when there are at most SMALL of them). */
export function fetchAllSmall(options) {
  const p = namedParams();
  p.set('limit', String(SMALL));
  return getJson('api/collections/incidents/items', p, options);
}

/** One page of the list, in the chosen order. */
export function fetchListPage(offset, options) {
  const p = namedParams();
  p.set('limit', String(LIST_PAGE));
  p.set('offset', String(offset));
  if (state.sort && state.sort !== 'date') p.set('sortby', state.sort);
  return getJson('api/collections/incidents/items', p, options);
}

/** Counts, the box and the days of everything matching the filters. */
export function fetchStats(options) {
  return getJson('api/stats', filterParams(), options);
}

/** Per-day counts for the timeline: every filter except the date range. */
export function fetchTimelineStats(options) {
  return getJson('api/stats', filterParams(state.filters, false), options);
}

/** Whether incident `id` matches the current filters. */
export async function stillMatches(id, options) {
  const p = filterParams();
  p.set('filter', `id = '${id.replaceAll("'", "''")}'`);
  p.set('limit', '1');
  const answer = await getJson('api/collections/incidents/items', p, options);
  return answer.numberMatched > 0;
}

/** The incidents within a small box, for a cluster too dense to split by zooming. */
export function fetchInBox(bbox, options) {
  const p = namedParams();
  p.set('bbox', bbox.map((v) => v.toFixed(6)).join(','));
  p.set('limit', '50');
  return getJson('api/collections/incidents/items', p, options);
}

/** The tile URL template for the current filters (absolute, as MapLibre wants it). */
export function tileTemplate() {
  const base = new URL('api/collections/incidents/tiles/WebMercatorQuad/', location.href).href;
  const query = filterParams().toString();
  return `${base}{z}/{y}/{x}${query ? `?${query}` : ''}`;
}

export function fetchMeasure(lon, lat) {
  const p = new URLSearchParams({ lon: lon.toFixed(6), lat: lat.toFixed(6) });
  if (state.naming !== 'hy-az') p.set('naming', state.naming);
  return getJson('api/measure', p);
}

export function fetchPathLength(points) {
  return getJson('api/measure/path', new URLSearchParams({ points: points.map((p) => `${p[0].toFixed(6)},${p[1].toFixed(6)}`).join(';') }));
}
