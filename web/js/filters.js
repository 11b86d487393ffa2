// The filter form: fills its choices from the API's vocabularies and gazetteer, mirrors the
// state, and turns edits into state changes (which become API parameters) as the reader types.
// An API error is shown beside the field it concerns, in plain words, with any suggestion as
// a button that applies it.
import { state, update } from './state.js';
import { label, vocab } from './vocab.js';
import { esc } from './format.js';

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
/** How long typing pauses before the filter applies, ms. */
const DEBOUNCE = 400;

const field = (name) => document.getElementById(FIELDS[name]);

/** The human name of a field, from its label. */
function fieldName(name) {
  const el = field(name);
  const text = document.querySelector(`label[for="${el.id}"]`)?.firstChild?.textContent || el.closest('label')?.firstChild?.textContent || name;
  const legend = el.closest('fieldset')?.querySelector('legend')?.textContent;
  return (legend && !document.querySelector(`label[for="${el.id}"]`) ? `${legend}, ${text.trim().toLowerCase()}` : text).trim();
}

/** The error line beside a field (after its fieldset, for the paired ones). */
function errorBox(name) {
  let box = document.getElementById(`err-${name}`);
  if (!box) {
    box = document.createElement('p');
    box.id = `err-${name}`;
    box.className = 'error field-error';
    box.setAttribute('role', 'alert');
    box.hidden = true;
    const anchor = field(name).closest('fieldset') || field(name);
    anchor.after(box);
  }
  return box;
}

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
  const apply = (name) => {
    const value = field(name).value.trim();
    if ((state.filters[name] ?? '') !== value) update({ filters: { [name]: value } }, 'filters');
  };
  for (const name of Object.keys(FIELDS)) {
    const el = field(name);
    errorBox(name);
    el.setAttribute('aria-describedby', `err-${name}`);
    el.addEventListener('change', () => apply(name));
    if (el.tagName === 'INPUT' && el.type !== 'date') {
      // As you type: applied once typing pauses.
      let timer = null;
      el.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(() => apply(name), DEBOUNCE);
      });
      el.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          clearTimeout(timer);
          apply(name);
        }
      });
    }
  }
  document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());
  document.getElementById('filters').addEventListener('reset', (e) => {
    e.preventDefault();
    update({ filters: Object.fromEntries(Object.keys(FIELDS).map((k) => [k, ''])) }, 'filters');
  });
  syncFilters();
}

/**
 * Puts the state's values into the form; the field being typed in is left alone unless
 * `force` (Back and Forward replace everything).
 */
export function syncFilters({ force = false } = {}) {
  for (const name of Object.keys(FIELDS)) {
    const el = field(name);
    const value = state.filters[name] ?? '';
    if (el.value !== value && (force || document.activeElement !== el)) el.value = value;
  }
  document.getElementById('sort').value = state.sort;
}

/** The error in plain words: what is wrong with which field, and what it takes. */
function plainWords(error, name) {
  const value = name ? state.filters[name] : null;
  if (error.parameter === 'town' && error.suggestions.length) {
    return /could mean/.test(error.message)
      ? `“${value}” could be more than one place. Choose one:`
      : `No place is known as “${value}”. Did you mean:`;
  }
  if (error.parameter === 'town') return `No place is known as “${value}”. Try another spelling, or pick one from the suggestions as you type.`;
  if (error.parameter === 'depth_max_km') return 'The maximum distance is below the minimum: make it larger, or the minimum smaller.';
  if (error.parameter === 'datetime') return 'These dates cannot be used: each must be a real day (YYYY-MM-DD), and the start not after the end.';
  if (name) return `${fieldName(name)}: “${value}” cannot be used; expected ${error.expected || 'another value'}.`;
  return error.message;
}

/** Shows an API error beside the field it names (or above the form), or clears every error. */
export function showError(error, onSuggestion) {
  const general = document.getElementById('filter-error');
  general.hidden = true;
  general.textContent = '';
  for (const name of Object.keys(FIELDS)) {
    const box = errorBox(name);
    box.hidden = true;
    box.textContent = '';
    field(name).removeAttribute('aria-invalid');
  }
  if (!error) return;
  const name = PARAM_FIELDS[error.parameter];
  const box = name ? errorBox(name) : general;
  box.hidden = false;
  box.innerHTML = esc(plainWords(error, name));
  if (name) field(name).setAttribute('aria-invalid', 'true');
  if (name === 'town' && error.suggestions.length) {
    const choices = error.suggestions.map((s) => `<button type="button" class="suggestion" data-value="${esc(s.split(' / ')[0])}">${esc(s)}</button>`).join(' ');
    box.insertAdjacentHTML('beforeend', ` ${choices}`);
    for (const button of box.querySelectorAll('.suggestion')) {
      button.addEventListener('click', () => {
        field('town').value = button.dataset.value;
        onSuggestion?.();
        update({ filters: { town: button.dataset.value } }, 'filters');
      });
    }
  }
}
