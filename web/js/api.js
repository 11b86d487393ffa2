// Talking to the strikemap API. The page never filters in JavaScript: every filter becomes an
// API parameter, and the server answers.
import { FILTERS, state } from './state.js';

/** The most incidents one request brings back (the API's own maximum page). */
export const PAGE = 10000;

/** API parameters for the current filters; `withDates` false leaves the date range out. */
export function filterParams(filters = state.filters, withDates = true) {
  const p = new URLSearchParams();
  for (const [name, param] of Object.entries(FILTERS)) {
    if (param && filters[name]) p.set(param, filters[name]);
  }
  if (withDates && (filters.from || filters.to)) {
    p.set('datetime', `${filters.from || '..'}/${filters.to || '..'}`);
  }
  // Names in every answer (list, details, exports, print) follow the reader's choice.
  if (state.naming !== 'hy-az') p.set('naming', state.naming);
  return p;
}

/** An error the API returned, with its description and the parameter it names. */
export class ApiError extends Error {
  constructor(body, status) {
    super(body?.description || `request failed (${status})`);
    this.parameter = body?.parameter;
    this.suggestions = body?.suggestions || [];
    this.status = status;
  }
}

export async function getJson(path, params) {
  const url = params && [...params].length ? `${path}?${params}` : path;
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(body, response.status);
  return body;
}

/** The incidents matching the current filters, in the chosen order. */
export function fetchIncidents() {
  const p = filterParams();
  p.set('limit', String(PAGE));
  if (state.sort) p.set('sortby', state.sort);
  return getJson('api/collections/incidents/items', p);
}

/** Per-day counts for the timeline: every filter except the date range. */
export function fetchTimelineStats() {
  return getJson('api/stats', filterParams(state.filters, false));
}

export function fetchMeasure(lon, lat) {
  const p = new URLSearchParams({ lon: lon.toFixed(6), lat: lat.toFixed(6) });
  if (state.naming !== 'hy-az') p.set('naming', state.naming);
  return getJson('api/measure', p);
}

export function fetchPathLength(points) {
  return getJson('api/measure/path', new URLSearchParams({ points: points.map((p) => `${p[0].toFixed(6)},${p[1].toFixed(6)}`).join(';') }));
}
