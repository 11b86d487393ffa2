// The filter form: fills its choices from the API's vocabularies and gazetteer, mirrors the
// state, and turns edits into state changes (which become API parameters).
import { state, update } from './state.js';
import { label, vocab } from './vocab.js';

const FIELDS = {
  town: 'f-town', from: 'f-from', to: 'f-to', type: 'f-type', weapon: 'f-weapon', target: 'f-target',
  verification: 'f-verification', reported_by: 'f-reported-by', min_killed: 'f-min-killed',
  depth_min: 'f-depth-min', depth_max: 'f-depth-max', military_clear: 'f-military',
};
/** API parameter names, to point an API error at its field. */
const PARAM_FIELDS = {
  town: 'town', datetime: 'from', type: 'type', weapon: 'weapon', target: 'target', verification: 'verification',
  reported_by: 'reported_by', min_killed: 'min_killed', depth_min_km: 'depth_min', depth_max_km: 'depth_max', military_clear_km: 'military_clear',
};

const field = (name) => document.getElementById(FIELDS[name]);

/** Fills the choices: vocabularies, and every spelling in the gazetteer `places`. */
export function setUpFilters(places) {
  for (const select of document.querySelectorAll('select[data-vocab]')) {
    for (const value of vocab[select.dataset.vocab] || []) {
      select.add(new Option(label(value), value));
    }
  }
  const options = document.getElementById('town-options');
  const seen = new Set();
  for (const f of places.features) {
    for (const n of f.properties.names) {
      if (seen.has(n.name)) continue;
      seen.add(n.name);
      const option = document.createElement('option');
      option.value = n.name;
      option.label = f.properties.name;
      options.append(option);
    }
  }
  for (const [name] of Object.entries(FIELDS)) {
    field(name).addEventListener('change', () => update({ filters: { [name]: field(name).value.trim() } }, 'filters'));
  }
  field('town').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      update({ filters: { town: field('town').value.trim() } }, 'filters');
    }
  });
  document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());
  document.getElementById('filters').addEventListener('reset', (e) => {
    e.preventDefault();
    state.filters = {};
    update({ filters: {} }, 'filters');
  });
  syncFilters();
}

/** Puts the state's values into the form. */
export function syncFilters() {
  for (const name of Object.keys(FIELDS)) {
    const el = field(name);
    const value = state.filters[name] ?? '';
    if (el.value !== value) el.value = value;
    el.removeAttribute('aria-invalid');
  }
  document.getElementById('sort').value = state.sort;
  showError(null);
}

/** Shows an API error next to the field it names. */
export function showError(error) {
  const box = document.getElementById('filter-error');
  if (!error) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.hidden = false;
  box.textContent = error.message;
  const name = PARAM_FIELDS[error.parameter];
  if (name) field(name).setAttribute('aria-invalid', 'true');
}
