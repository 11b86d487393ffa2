// The page's whole state, mirrored in the URL so a link reproduces exactly what the sender saw.

/** Filter names in the URL, and the API parameter each becomes. */
export const FILTERS = {
  town: 'town',
  from: null,
  to: null,
  type: 'type',
  weapon: 'weapon',
  target: 'target',
  verification: 'verification',
  reported_by: 'reported_by',
  min_killed: 'min_killed',
  depth_min: 'depth_min_km',
  depth_max: 'depth_max_km',
  military_clear: 'military_clear_km',
};

const LAYERS = ['bands', 'military', 'protected'];

/** How places in the disputed area are named: both (either order) or one name. */
export const NAMINGS = ['hy-az', 'az-hy', 'hy', 'az'];

/**
 * A place's label as the reader chose: the API's rule, for the map's own labels. Outside the
 * disputed area a place goes by its local name first whatever the choice.
 */
export function placeLabel(props, naming = state.naming) {
  const hy = props.name_hy;
  const az = props.name_az && props.name_az !== hy ? props.name_az : null;
  if (!az) return hy;
  const azFirst = props.region === 'az' || (props.region !== 'am' && (naming === 'az-hy' || naming === 'az'));
  const [first, second] = azFirst ? [az, hy] : [hy, az];
  return naming === 'hy' || naming === 'az' ? first : `${first} / ${second}`;
}

export const state = {
  filters: {},
  sort: 'date',
  selected: null,
  view: null, // { lon, lat, zoom }
  colorBy: 'type',
  heatmap: false,
  layers: { bands: true, military: true, protected: true },
  naming: 'hy-az',
};

const listeners = new Set();

/** Calls `fn(reason)` after every change. */
export function subscribe(fn) {
  listeners.add(fn);
}

/** Changes that get their own history entry, so that Back undoes them. */
const REMEMBERED = new Set(['filters', 'sort']);

/**
 * Applies `patch` (shallow, with `filters` merged) and notifies; `reason` says what changed.
 * `options.remember` false keeps a filter change out of the history (the timeline's Play).
 */
export function update(patch, reason, options = {}) {
  if (patch.filters) {
    state.filters = { ...state.filters, ...patch.filters };
    for (const [k, v] of Object.entries(state.filters)) {
      if (v === '' || v === null || v === undefined) delete state.filters[k];
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k !== 'filters') state[k] = v;
  }
  writeUrl(REMEMBERED.has(reason) && options.remember !== false);
  for (const fn of listeners) fn(reason, options);
}

/** Reads the state from the current URL. */
export function readUrl() {
  const p = new URLSearchParams(location.search);
  state.filters = {};
  for (const name of Object.keys(FILTERS)) {
    if (p.get(name)) state.filters[name] = p.get(name);
  }
  state.sort = p.get('sort') || 'date';
  state.selected = p.get('sel') || null;
  state.colorBy = p.get('color') || 'type';
  state.heatmap = p.get('heat') === '1';
  // 'both' was the name of 'hy-az' in older links.
  const names = p.get('names') === 'both' ? 'hy-az' : p.get('names');
  state.naming = NAMINGS.includes(names) ? names : 'hy-az';
  const off = (p.get('off') || '').split(',');
  state.layers = Object.fromEntries(LAYERS.map((l) => [l, !off.includes(l)]));
  const view = (p.get('map') || '').split('/').map(Number);
  state.view = view.length === 3 && view.every(Number.isFinite) ? { zoom: view[0], lat: view[1], lon: view[2] } : null;
}

/** Writes the state into the URL; `push` adds a history entry (for Back) when it changed. */
export function writeUrl(push = false) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state.filters)) p.set(k, v);
  if (state.sort !== 'date') p.set('sort', state.sort);
  if (state.selected) p.set('sel', state.selected);
  if (state.colorBy !== 'type') p.set('color', state.colorBy);
  if (state.heatmap) p.set('heat', '1');
  if (state.naming !== 'hy-az') p.set('names', state.naming);
  const off = LAYERS.filter((l) => !state.layers[l]);
  if (off.length) p.set('off', off.join(','));
  if (state.view) {
    const { zoom, lat, lon } = state.view;
    p.set('map', `${zoom.toFixed(2)}/${lat.toFixed(5)}/${lon.toFixed(5)}`);
  }
  const query = p.toString().replaceAll('%2F', '/').replaceAll('%2C', ',');
  const next = query ? `?${query}` : location.pathname;
  if (push && next !== `${location.search || location.pathname}`) history.pushState(null, '', next);
  else history.replaceState(null, '', next);
}
